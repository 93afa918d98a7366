// Mutual TLS against a real `reserved serve --tls-cert --tls-key --tls-client-ca` process,
// with certificates made at test time by the openssl command line: a test CA, a server
// certificate for 127.0.0.1/localhost, client certificates from that CA (CN=alice OU=admin;
// CN=worker OU=service) and one from another CA.
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "reserve/v1/identity.grpc.pb.h"
#include "reserve/v1/ledger.grpc.pb.h"
#include "storage/remote/remote_ledger.h"
#include "tests/server/certs.h"
#include "tests/server/process.h"
#include "tests/server/server_env.h"

namespace reserve::testing {
namespace {

using ::testing::ElementsAre;

class MtlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ScratchDir>> dir = ScratchDir::Create("mtls_test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *std::move(dir);
    absl::StatusOr<std::unique_ptr<TestCa>> ca = TestCa::Create(dir_->path(), "test-ca");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *std::move(ca);
    absl::StatusOr<std::unique_ptr<TestCa>> other = TestCa::Create(dir_->path(), "other-ca");
    ASSERT_TRUE(other.ok()) << other.status();
    other_ca_ = *std::move(other);

    absl::StatusOr<CertFiles> server = ca_->IssueServer("server");
    ASSERT_TRUE(server.ok()) << server.status();
    absl::StatusOr<CertFiles> alice = ca_->IssueClient("alice", "alice", {"admin"});
    ASSERT_TRUE(alice.ok()) << alice.status();
    absl::StatusOr<CertFiles> worker = ca_->IssueClient("worker", "worker", {"service"});
    ASSERT_TRUE(worker.ok()) << worker.status();
    // Same subject as alice, but signed by a CA the server does not trust.
    absl::StatusOr<CertFiles> mallory = other_ca_->IssueClient("mallory", "alice", {"admin"});
    ASSERT_TRUE(mallory.ok()) << mallory.status();
    alice_ = *alice;
    worker_ = *worker;
    mallory_ = *mallory;
    ASSERT_TRUE(WriteTokensFile(dir_->Sub("tokens")).ok());

    ReservedOptions options;
    options.work_dir = dir_->path();
    options.serve_args = {"--services=ledger", absl::StrCat("--data-dir=", dir_->Sub("data")),
                          absl::StrCat("--tls-cert=", server->cert_path),
                          absl::StrCat("--tls-key=", server->key_path),
                          absl::StrCat("--tls-client-ca=", ca_->cert_path()),
                          // Tokens are configured too, to show they do not bypass mTLS.
                          absl::StrCat("--tokens-file=", dir_->Sub("tokens"))};
    options.health_credentials = Credentials(&alice_);
    absl::StatusOr<std::unique_ptr<ReservedProcess>> process =
        ReservedProcess::Start(RESERVED_BINARY, options);
    ASSERT_TRUE(process.ok()) << process.status();
    server_ = *std::move(process);
  }

  // TLS credentials trusting the test CA, presenting `client` (none when null).
  std::shared_ptr<grpc::ChannelCredentials> Credentials(const CertFiles* client) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Read(ca_->cert_path());
    if (client != nullptr) {
      ssl.pem_cert_chain = Read(client->cert_path);
      ssl.pem_private_key = Read(client->key_path);
    }
    return grpc::SslCredentials(ssl);
  }

  static std::string Read(const std::string& path) {
    absl::StatusOr<std::string> contents = ReadFile(path);
    EXPECT_TRUE(contents.ok()) << contents.status();
    return contents.ok() ? *contents : "";
  }

  grpc::Status WhoAmI(std::shared_ptr<grpc::ChannelCredentials> credentials,
                      absl::string_view token, v1::Principal* principal) {
    std::unique_ptr<v1::IdentityService::Stub> stub =
        v1::IdentityService::NewStub(OwnChannel(server_->address(), std::move(credentials)));
    return stub->WhoAmI(ContextWithToken(token).get(), {}, principal);
  }

  // A refused connection: UNAVAILABLE, and the server is unharmed (still serving the good
  // client afterwards).
  void ExpectRefused(const grpc::Status& status) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    std::cout << "refused with code " << status.error_code() << ": " << status.error_message()
              << std::endl;
    v1::Principal principal;
    grpc::Status good = WhoAmI(Credentials(&alice_), "", &principal);
    EXPECT_TRUE(good.ok()) << good.error_code() << ": " << good.error_message();
    EXPECT_TRUE(server_->Alive()) << server_->StderrTail();
  }

  std::unique_ptr<ScratchDir> dir_;
  std::unique_ptr<TestCa> ca_;
  std::unique_ptr<TestCa> other_ca_;
  CertFiles alice_;
  CertFiles worker_;
  CertFiles mallory_;
  std::unique_ptr<ReservedProcess> server_;
};

TEST_F(MtlsTest, CaSignedClientIsAcceptedAsItsCommonNameWithRolesFromOu) {
  v1::Principal principal;
  grpc::Status status = WhoAmI(Credentials(&alice_), "", &principal);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(principal.name(), "alice");
  EXPECT_THAT(principal.roles(), ElementsAre("admin"));

  status = WhoAmI(Credentials(&worker_), "", &principal);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(principal.name(), "worker");
  EXPECT_THAT(principal.roles(), ElementsAre("service"));
}

TEST_F(MtlsTest, CertificateRolesGovernLedgerAccess) {
  // The service certificate commits through RemoteLedger over mutual TLS...
  ledger::RemoteLedgerOptions options;
  options.credentials = Credentials(&worker_);
  options.own_channel = true;
  absl::StatusOr<std::unique_ptr<ledger::RemoteLedger>> worker =
      ledger::RemoteLedger::Connect(server_->address(), options);
  ASSERT_TRUE(worker.ok()) << worker.status();
  ledger::Transaction tx;
  tx.request_id = "mtls-1";
  tx.kind = "test.mtls";
  tx.principal = "service:worker";
  tx.business_date = absl::CivilDay(2026, 5, 1);
  tx.writes = {{"mtls/record", 0, "v", false}};
  absl::StatusOr<ledger::Receipt> receipt = (*worker)->Commit(tx);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->seq, 1u);

  // ...while the admin certificate may read but not commit (access_table.cc).
  options.credentials = Credentials(&alice_);
  absl::StatusOr<std::unique_ptr<ledger::RemoteLedger>> alice =
      ledger::RemoteLedger::Connect(server_->address(), options);
  ASSERT_TRUE(alice.ok()) << alice.status();
  tx.request_id = "mtls-2";
  tx.writes = {{"mtls/other", 0, "v", false}};
  EXPECT_EQ((*alice)->Commit(tx).status().code(), absl::StatusCode::kPermissionDenied);
  absl::StatusOr<ledger::Head> head = (*alice)->GetHead();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->seq, 1u);
}

// A client that presents no certificate fails the handshake: the server requires one
// (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY), so no RPC reaches a service
// and gRPC reports the broken connection as UNAVAILABLE.
TEST_F(MtlsTest, ClientWithoutCertificateIsRefused) {
  v1::Principal principal;
  grpc::Status status = WhoAmI(Credentials(nullptr), "", &principal);
  ExpectRefused(status);
}

TEST_F(MtlsTest, ClientCertificateFromAnotherCaIsRefused) {
  v1::Principal principal;
  grpc::Status status = WhoAmI(Credentials(&mallory_), "", &principal);
  ExpectRefused(status);
}

// A valid bearer token does not stand in for the client certificate: with a client CA the
// server requires a verified certificate during the TLS handshake, before any metadata (and
// so any token) is read. The handshake fails, which gRPC reports as UNAVAILABLE — the same
// refusal as having no certificate at all, not UNAUTHENTICATED.
TEST_F(MtlsTest, BearerTokenWithoutClientCertificateIsRefused) {
  v1::Principal principal;
  grpc::Status status = WhoAmI(Credentials(nullptr), kAdminToken, &principal);
  ExpectRefused(status);
}

TEST_F(MtlsTest, PlaintextClientIsRefused) {
  v1::Principal principal;
  grpc::Status status = WhoAmI(grpc::InsecureChannelCredentials(), kAdminToken, &principal);
  ExpectRefused(status);
}

}  // namespace
}  // namespace reserve::testing
