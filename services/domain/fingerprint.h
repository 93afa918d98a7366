// Fingerprints of requests: they tell a retry from a different request reusing a request id,
// and are stored in receipt records (and, for financing, in pledge ids), so each function's
// output is an on-disk contract: never change one. None is a security boundary.
//
// Which service uses which (each keeps its own so existing stores stay readable):
//   inventory             Fnv128Hex(RequestText(kind, date, request))
//   decision              Sha256Hex(RequestText(kind, date, request))
//   commercial, financing Fnv128MixedHex("<kind>|<date>|<principal>|<request text>");
//                         financing pledge ids: "<bank>:" + Fnv128MixedHex(request id)
#ifndef RESERVE_SERVICES_DOMAIN_FINGERPRINT_H_
#define RESERVE_SERVICES_DOMAIN_FINGERPRINT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace reserve::domain {

// 32 lower-case hex digits: two 64-bit FNV-1a variants of `text`.
std::string Fnv128Hex(absl::string_view text);

// 32 lower-case hex digits: the same two FNV-1a variants, each passed through splitmix64's
// finaliser, so that similar inputs (request ids differing in one digit) do not look alike.
std::string Fnv128MixedHex(absl::string_view text);

// 64 lower-case hex digits: SHA-256 of `text`.
std::string Sha256Hex(absl::string_view text);

}  // namespace reserve::domain

#endif  // RESERVE_SERVICES_DOMAIN_FINGERPRINT_H_
