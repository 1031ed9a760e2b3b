//! Binance spot: wire types and the WebSocket client.
