//! MariaDB (being written).
