// Compile-time baseline: a translation unit with nothing in it.
