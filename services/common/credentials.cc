#include "services/common/credentials.h"

#include <grpcpp/security/server_credentials.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace reserve {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::string text;
  text.resize(max_bytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": larger than ", max_bytes, " bytes"));
  }
  return text;
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) {
    return text.status();
  }
  std::string token(absl::StripAsciiWhitespace(*text));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": empty token file"));
  }
  for (char c : token) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": a token file holds one token"));
    }
  }
  return token;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files) {
  if (files.cert.empty() && files.key.empty() && files.client_ca.empty()) {
    return grpc::InsecureServerCredentials();
  }
  if (files.cert.empty() || files.key.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
  }
  grpc::SslServerCredentialsOptions options(
      files.client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  absl::StatusOr<std::string> cert = ReadSmallFile(files.cert);
  if (!cert.ok()) {
    return cert.status();
  }
  absl::StatusOr<std::string> key = ReadSmallFile(files.key);
  if (!key.ok()) {
    return key.status();
  }
  pair.cert_chain = *std::move(cert);
  pair.private_key = *std::move(key);
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!files.client_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadSmallFile(files.client_ca);
    if (!ca.ok()) {
      return ca.status();
    }
    options.pem_root_certs = *std::move(ca);
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientAuth& auth) {
  if (auth.ca.empty() && auth.cert.empty() && auth.key.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  if (auth.cert.empty() != auth.key.empty()) {
    return absl::InvalidArgumentError("a client certificate needs both --cert and --key");
  }
  grpc::SslCredentialsOptions options;
  if (!auth.ca.empty()) {
    absl::StatusOr<std::string> ca = ReadSmallFile(auth.ca);
    if (!ca.ok()) {
      return ca.status();
    }
    options.pem_root_certs = *std::move(ca);
  }
  if (!auth.cert.empty()) {
    absl::StatusOr<std::string> cert = ReadSmallFile(auth.cert);
    if (!cert.ok()) {
      return cert.status();
    }
    absl::StatusOr<std::string> key = ReadSmallFile(auth.key);
    if (!key.ok()) {
      return key.status();
    }
    options.pem_cert_chain = *std::move(cert);
    options.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(options);
}

void AttachToken(absl::string_view token, grpc::ClientContext* context) {
  if (!token.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
}

}  // namespace reserve
