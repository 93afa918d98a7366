#include "services/common/auth.h"

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/access_table.h"

namespace reserve {

namespace {

constexpr size_t kMaxRoleIdBytes = 64;
constexpr size_t kMaxPrincipalNameBytes = 256;  // a journal entry names it; keep it short
constexpr absl::string_view kBearerPrefix = "Bearer ";

std::array<unsigned char, 32> Digest(absl::string_view text) {
  std::array<unsigned char, 32> out;
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

bool IsPrintableName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxPrincipalNameBytes) {
    return false;
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

absl::Status LineError(absl::string_view source, int line, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": ", why));
}

// The UTF-8 text of every entry with `nid` in `name`.
std::vector<std::string> EntriesOf(X509_NAME* name, int nid) {
  std::vector<std::string> out;
  int index = -1;
  while ((index = X509_NAME_get_index_by_NID(name, nid, index)) >= 0) {
    X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, index);
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (length >= 0) {
      out.emplace_back(reinterpret_cast<const char*>(utf8), static_cast<size_t>(length));
      OPENSSL_free(utf8);
    }
  }
  return out;
}

}  // namespace

bool Principal::HasRole(absl::string_view role) const {
  for (const std::string& mine : roles) {
    if (mine == role) {
      return true;
    }
  }
  return false;
}

bool IsValidRole(absl::string_view role) {
  for (absl::string_view plain : {"admin", "approver", "finance", "auditor", "service"}) {
    if (role == plain) {
      return true;
    }
  }
  for (absl::string_view family : {"bank:", "enterprise:"}) {
    if (absl::StartsWith(role, family)) {
      absl::string_view id = role.substr(family.size());
      if (id.empty() || id.size() > kMaxRoleIdBytes) {
        return false;
      }
      for (char c : id) {
        if (!IsIdChar(c)) {
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::unique_ptr<TokenTable>> TokenTable::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open tokens file ", path));
  }
  std::string text;
  text.resize(kMaxTokenFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxTokenFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxTokenFileBytes, " bytes"));
  }
  return Parse(text, path);
}

absl::StatusOr<std::unique_ptr<TokenTable>> TokenTable::Parse(absl::string_view text,
                                                              absl::string_view source) {
  std::vector<Entry> entries;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);  // also drops a '\r'
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 3) {
      return LineError(source, line_number,
                       absl::StrCat("expected `<token> <principal-name> <role>[,<role>...]`, got ",
                                    fields.size(), " fields"));
    }
    if (!IsPrintableName(fields[1])) {
      return LineError(source, line_number, "bad principal name");
    }
    Entry entry{Digest(fields[0]), Principal{std::string(fields[1]), {}}};
    for (absl::string_view role : absl::StrSplit(fields[2], ',')) {
      if (!IsValidRole(role)) {
        return LineError(source, line_number,
                         absl::StrCat("unknown or malformed role \"", role, "\""));
      }
      entry.principal.roles.emplace_back(role);
    }
    for (const Entry& other : entries) {
      if (other.digest == entry.digest) {
        return LineError(source, line_number, "duplicate token");
      }
    }
    if (entries.size() == kMaxTokens) {
      return LineError(source, line_number, absl::StrCat("more than ", kMaxTokens, " tokens"));
    }
    entries.push_back(std::move(entry));
  }
  return std::unique_ptr<TokenTable>(new TokenTable(std::move(entries)));
}

std::optional<Principal> TokenTable::Lookup(absl::string_view token) const {
  const std::array<unsigned char, 32> digest = Digest(token);
  const Entry* found = nullptr;
  // Visit every entry so timing says nothing about which one matched.
  for (const Entry& entry : entries_) {
    if (CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0) {
      found = &entry;
    }
  }
  if (found == nullptr) {
    return std::nullopt;
  }
  return found->principal;
}

absl::StatusOr<Principal> PrincipalFromCertificate(absl::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (bio == nullptr) {
    return absl::ResourceExhaustedError("out of memory reading the client certificate");
  }
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (cert == nullptr) {
    return absl::InvalidArgumentError("client certificate does not parse");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  std::vector<std::string> cns = EntriesOf(subject, NID_commonName);
  if (cns.size() != 1 || !IsPrintableName(cns[0])) {
    return absl::InvalidArgumentError("client certificate subject needs exactly one valid CN");
  }
  Principal principal{cns[0], EntriesOf(subject, NID_organizationalUnitName)};
  for (const std::string& role : principal.roles) {
    if (!IsValidRole(role)) {
      return absl::InvalidArgumentError(
          absl::StrCat("client certificate OU \"", role, "\" is not a role"));
    }
  }
  return principal;
}

absl::StatusOr<Principal> Authorizer::Authenticate(
    const grpc::AuthContext* auth_context,
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const {
  if (auth_context != nullptr && auth_context->IsPeerAuthenticated()) {
    std::vector<grpc::string_ref> pems = auth_context->FindPropertyValues("x509_pem_cert");
    if (!pems.empty()) {
      absl::StatusOr<Principal> principal =
          PrincipalFromCertificate(absl::string_view(pems[0].data(), pems[0].size()));
      if (!principal.ok()) {
        return absl::UnauthenticatedError(principal.status().message());
      }
      return principal;
    }
  }
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "no credentials: send a client certificate or `authorization: Bearer <token>`");
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::StartsWith(value, kBearerPrefix)) {
    return absl::UnauthenticatedError("authorization metadata must be `Bearer <token>`");
  }
  if (tokens_ != nullptr) {
    if (std::optional<Principal> principal = tokens_->Lookup(value.substr(kBearerPrefix.size()))) {
      return *std::move(principal);
    }
  }
  return absl::UnauthenticatedError("unknown bearer token");
}

absl::Status Authorizer::CheckAccess(const Principal& principal, absl::string_view full_method) {
  const std::vector<std::string>* allowed = AllowedRoles(full_method);
  if (allowed == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(full_method, " is not in the access table; nobody may call it"));
  }
  for (const std::string& pattern : *allowed) {
    if (pattern == kAnyAuthenticated) {
      return absl::OkStatus();
    }
    for (const std::string& role : principal.roles) {
      if (RoleMatches(pattern, role)) {
        return absl::OkStatus();
      }
    }
  }
  return absl::PermissionDeniedError(absl::StrCat(
      full_method, " needs role ", absl::StrJoin(*allowed, " or "), "; ", principal.name, " has ",
      principal.roles.empty() ? std::string("no roles") : absl::StrJoin(principal.roles, ",")));
}

absl::StatusOr<Principal> Authorizer::Authorize(const grpc::ServerContext* context,
                                                absl::string_view full_method) const {
  std::shared_ptr<const grpc::AuthContext> auth_context = context->auth_context();
  absl::StatusOr<Principal> principal =
      Authenticate(auth_context.get(), context->client_metadata());
  if (!principal.ok()) {
    return principal.status();
  }
  if (absl::Status access = CheckAccess(*principal, full_method); !access.ok()) {
    return access;
  }
  return principal;
}

}  // namespace reserve
