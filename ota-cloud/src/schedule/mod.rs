//! Time parsing, cron expressions and maintenance windows (being written).
