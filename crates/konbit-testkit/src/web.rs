//! Test support for websites: nginx and PHP-FPM on loopback ports.
