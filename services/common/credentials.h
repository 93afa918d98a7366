// Transport credentials for servers and clients, from file paths given on the command line.
#ifndef RESERVE_SERVICES_COMMON_CREDENTIALS_H_
#define RESERVE_SERVICES_COMMON_CREDENTIALS_H_

#include <grpcpp/client_context.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reserve {

// Files read as credentials are small; anything bigger is a mistake.
inline constexpr size_t kMaxCredentialFileBytes = 1024 * 1024;

// The whole content of `path`. NOT_FOUND if unreadable; INVALID_ARGUMENT above `max_bytes`.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          size_t max_bytes = kMaxCredentialFileBytes);

// A token file holds one token; surrounding whitespace is dropped. INVALID_ARGUMENT if empty
// or if the token contains whitespace.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

struct ServerTlsFiles {
  std::string cert;       // PEM certificate chain; empty with key empty = plaintext
  std::string key;        // PEM private key
  std::string client_ca;  // PEM roots; set = mutual TLS (client certificates required)
};

// TLS server credentials, or insecure ones when no file is named. INVALID_ARGUMENT for an
// incomplete combination (key without cert, client CA without cert …).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files);

struct ClientAuth {
  std::string token;  // bearer token sent as `authorization: Bearer <token>`; empty: none
  std::string ca;     // PEM roots to verify the server; any TLS file set = TLS channel
  std::string cert;   // PEM client certificate (mutual TLS); needs key
  std::string key;
};

// Channel credentials: TLS when any of ca/cert/key is set (system roots when ca is empty),
// otherwise insecure (plaintext, for local use).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientAuth& auth);

// Adds the bearer token to one call. The token travels as plain metadata rather than call
// credentials because gRPC refuses call credentials on insecure (localhost) channels.
void AttachToken(absl::string_view token, grpc::ClientContext* context);

}  // namespace reserve

#endif  // RESERVE_SERVICES_COMMON_CREDENTIALS_H_
