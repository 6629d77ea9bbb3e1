//! Firmware slot and persistent-state storage (being written).
