"""Pure domain rules over plain values: no database, no I/O, no clock reads."""
