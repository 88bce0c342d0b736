// promcxx: the one version number; meson.build reads it from here.
#ifndef PROMCXX_VERSION_HPP
#define PROMCXX_VERSION_HPP

#define PROMCXX_VERSION_MAJOR 0
#define PROMCXX_VERSION_MINOR 1
#define PROMCXX_VERSION_PATCH 0
#define PROMCXX_VERSION_STRING "0.1.0"

#endif // PROMCXX_VERSION_HPP
