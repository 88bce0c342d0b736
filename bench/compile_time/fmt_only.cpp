// Compile-time reference: the cost of including {fmt}, a library users already accept.
#include <fmt/format.h>
