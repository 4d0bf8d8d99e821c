#include <sys/utsname.h>

#include "image/transports.hpp"

namespace bulwark::image {

std::string host_platform() {
  struct utsname u {};
  if (::uname(&u) != 0) return "linux/amd64";
  std::string_view m = u.machine;
  std::string arch;
  if (m == "x86_64" || m == "amd64") {
    arch = "amd64";
  } else if (m == "aarch64" || m == "arm64") {
    arch = "arm64";
  } else if (m.starts_with("armv7")) {
    arch = "arm/v7";
  } else if (m.starts_with("armv6")) {
    arch = "arm/v6";
  } else if (m.starts_with("armv5")) {
    arch = "arm/v5";
  } else if (m == "i386" || m == "i486" || m == "i586" || m == "i686") {
    arch = "386";
  } else {
    arch = std::string(m);  // ppc64le, s390x, riscv64, mips64le use uname's spelling
  }
  return "linux/" + arch;
}

}  // namespace bulwark::image
