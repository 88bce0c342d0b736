// promcxx: exposition files for node_exporter's textfile collector.
//
//     promcxx::write_textfile(registry, "/var/lib/prometheus/node-exporter", "backup");
//
// writes `<dir>/backup.prom` in text format 0.0.4 (the only format the
// collector reads). The file is replaced atomically: the exposition goes to a
// temporary file in the same directory (named `.backup.prom.XXXXXX`, which the
// collector ignores since it does not end in `.prom`), is flushed to disk with
// fsync, and is renamed over the old file, so a scrape sees the old file or
// the new one, never half of one. The directory is fsynced too, so the rename
// survives a crash.
#ifndef PROMCXX_TEXTFILE_HPP
#define PROMCXX_TEXTFILE_HPP

#include <cerrno>
#include <cstdio>   // std::rename
#include <cstring>  // std::strerror
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exposition.hpp"
#include "registry.hpp"

namespace promcxx {

namespace detail {

[[noreturn]] inline void textfile_fail(std::string_view what, const std::filesystem::path& path, int err) {
  throw std::system_error(err, std::generic_category(),
                          "promcxx::write_textfile: " + std::string(what) + " " + path.string());
}

} // namespace detail

/// Writes `exposition` (text format 0.0.4) to `dir/name.prom` atomically, with
/// mode 0644 so a node_exporter running as another user can read it. `name`
/// is a file name stem: not empty, no '/', not starting with '.'. Throws
/// std::invalid_argument on a bad name and std::system_error (whose message
/// starts with "promcxx::write_textfile:") when the file cannot be written;
/// the old file, if any, is then left as it was.
inline void write_textfile(std::string_view exposition, const std::filesystem::path& dir, std::string_view name) {
  if (name.empty() || name.front() == '.' || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos)
    throw std::invalid_argument("promcxx::write_textfile: file name \"" + std::string(name) +
                                "\" must be non-empty, without '/' and not start with '.'");
  std::string file_name{name};
  file_name.append(".prom");
  const std::filesystem::path target = dir / file_name;
  // Built by appends: GCC 12 warns falsely (-Wrestrict) on `"." + std::string(...)`.
  std::string temp_name{"."};
  temp_name.append(file_name).append(".XXXXXX");
  std::string temp = (dir / temp_name).string();
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) detail::textfile_fail("cannot create a temporary file in", dir, errno);
  const auto abandon = [&](std::string_view what, int err) {
    ::close(fd);
    ::unlink(temp.c_str());
    detail::textfile_fail(what, temp, err);
  };
  if (::fchmod(fd, 0644) != 0) abandon("cannot set the mode of", errno);
  std::string_view rest = exposition;
  while (!rest.empty()) {
    const auto n = ::write(fd, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon("cannot write", errno);
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) abandon("cannot fsync", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    detail::textfile_fail("cannot close", temp, err);
  }
  if (std::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    detail::textfile_fail("cannot rename the temporary file to", target, err);
  }
  // The rename is durable only once the directory entry is on disk.
  if (const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

/// Collects `reg` and writes it to `dir/name.prom` atomically (see above).
inline void write_textfile(registry& reg, const std::filesystem::path& dir, std::string_view name) {
  std::string exposition;
  render(reg, exposition_format::text_0_0_4, exposition);
  write_textfile(exposition, dir, name);
}

} // namespace promcxx

#endif // PROMCXX_TEXTFILE_HPP
