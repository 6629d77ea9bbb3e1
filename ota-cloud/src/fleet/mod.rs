//! Things, static and nested groups, dynamic groups by attribute query (being written).
