//! The dashboard application: state, events and the event loop.
