//! Reading the venues' own trade-history exports and the plain CSV of SPEC §6.
