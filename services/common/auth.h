// Identity and access (DESIGN.md section 7): who is calling, and may they call this RPC.
//
// Authentication, in order: a verified mutual-TLS client certificate (name = subject CN,
// roles = every subject OU), else a bearer token (`authorization: Bearer <token>`) looked
// up in a TokenTable. Authorization: THE one access table (access_table.h) maps each full
// method name to the roles allowed to call it; a method missing from it is denied.
#ifndef RESERVE_SERVICES_COMMON_AUTH_H_
#define RESERVE_SERVICES_COMMON_AUTH_H_

#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reserve {

// Limits on the token file: it is read at start-up, so a huge file is a mistake.
inline constexpr size_t kMaxTokenFileBytes = 1024 * 1024;
inline constexpr size_t kMaxTokens = 10'000;

struct Principal {
  std::string name;
  std::vector<std::string> roles;
  bool HasRole(absl::string_view role) const;
};

// True when `role` is well formed: admin, approver, finance, auditor, service, or
// bank:<id> / enterprise:<id> with <id> of [A-Za-z0-9._-]{1,64}.
bool IsValidRole(absl::string_view role);

// Bearer tokens, loaded from a file of lines `<token> <principal-name> <role>[,<role>...]`
// (blank lines and lines starting with # ignored). Only SHA-256 digests of the tokens are
// kept, and lookups compare digests in constant time. Immutable, so thread-safe.
class TokenTable {
 public:
  // INVALID_ARGUMENT naming "<source>:<line>" for a malformed line (wrong field count, bad
  // role, duplicate token, …); NOT_FOUND for an unreadable file.
  static absl::StatusOr<std::unique_ptr<TokenTable>> Load(const std::string& path);
  static absl::StatusOr<std::unique_ptr<TokenTable>> Parse(absl::string_view text,
                                                           absl::string_view source);

  // The principal holding `token`, if any.
  std::optional<Principal> Lookup(absl::string_view token) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::array<unsigned char, 32> digest;
    Principal principal;
  };
  explicit TokenTable(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  const std::vector<Entry> entries_;
};

// The principal named by a PEM certificate: CN and OUs of its subject. INVALID_ARGUMENT if
// it does not parse, has no CN, or an OU is not a valid role.
absl::StatusOr<Principal> PrincipalFromCertificate(absl::string_view pem);

class Authorizer {
 public:
  // `tokens` may be null (no bearer tokens accepted). Thread-safe.
  explicit Authorizer(std::unique_ptr<TokenTable> tokens) : tokens_(std::move(tokens)) {}

  // Authenticates the caller of `context` then checks `full_method`
  // ("/reserve.v1.LedgerService/Commit") in the access table.
  // UNAUTHENTICATED: no credentials, or an unknown token. PERMISSION_DENIED: naming the
  // roles that may call the method.
  absl::StatusOr<Principal> Authorize(const grpc::ServerContext* context,
                                      absl::string_view full_method) const;

  // The two halves, exposed for tests and for services that authenticate only.
  absl::StatusOr<Principal> Authenticate(
      const grpc::AuthContext* auth_context,
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const;
  static absl::Status CheckAccess(const Principal& principal, absl::string_view full_method);

 private:
  const std::unique_ptr<TokenTable> tokens_;
};

}  // namespace reserve

#endif  // RESERVE_SERVICES_COMMON_AUTH_H_
