#include "services/domain/fingerprint.h"

#include <openssl/sha.h>

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"

namespace reserve::domain {
namespace {

struct Fnv128 {
  uint64_t a = 0;
  uint64_t b = 0;
};

// FNV-1a, twice with different offsets (the second also adds a constant per byte).
Fnv128 Fnv(absl::string_view text) {
  Fnv128 h{14695981039346656037ULL, 0x6c62272e07bb0142ULL};
  for (unsigned char c : text) {
    h.a = (h.a ^ c) * 1099511628211ULL;
    h.b = (h.b ^ c) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
  }
  return h;
}

// splitmix64's finaliser: a bijective avalanche.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string Fnv128Hex(absl::string_view text) {
  Fnv128 h = Fnv(text);
  return absl::StrFormat("%016x%016x", h.a, h.b);
}

std::string Fnv128MixedHex(absl::string_view text) {
  Fnv128 h = Fnv(text);
  return absl::StrFormat("%016x%016x", Mix(h.a), Mix(h.b ^ h.a));
}

std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace reserve::domain
