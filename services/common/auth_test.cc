#include "services/common/auth.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "gtest/gtest.h"

namespace reserve {
namespace {

TEST(TokenTableTest, ParsesLinesCommentsAndBlanks) {
  auto table = TokenTable::Parse(
      "# tokens\n"
      "\n"
      "tok-admin alice admin,auditor\r\n"
      "  tok-svc   svc:inventory\tservice  \n"
      "tok-bank bank-icbc bank:icbc\n",
      "tokens.txt");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ((*table)->size(), 3u);
  std::optional<Principal> alice = (*table)->Lookup("tok-admin");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->roles, (std::vector<std::string>{"admin", "auditor"}));
  EXPECT_TRUE(alice->HasRole("auditor"));
  EXPECT_FALSE(alice->HasRole("service"));
  ASSERT_TRUE((*table)->Lookup("tok-svc").has_value());
  EXPECT_EQ((*table)->Lookup("tok-svc")->name, "svc:inventory");
  EXPECT_EQ((*table)->Lookup("tok-bank")->roles, std::vector<std::string>{"bank:icbc"});
  EXPECT_FALSE((*table)->Lookup("tok-admi").has_value());
  EXPECT_FALSE((*table)->Lookup("").has_value());
}

struct BadLine {
  const char* text;
  const char* expect_in_message;
};

TEST(TokenTableTest, RejectsBadLinesNamingTheLine) {
  const BadLine cases[] = {
      {"ok alice admin\nonlytoken\n", "tokens.txt:2:"},
      {"tok alice\n", "tokens.txt:1:"},
      {"tok alice admin extra\n", "tokens.txt:1:"},
      {"tok alice superuser\n", "superuser"},
      {"tok alice admin,\n", "tokens.txt:1:"},
      {"tok alice bank:\n", "bank:"},
      {"tok alice bank:a/b\n", "bank:a/b"},
      {"# c\n\ntok alice admin\ntok bob finance\n", "tokens.txt:4: duplicate token"},
  };
  for (const BadLine& c : cases) {
    auto table = TokenTable::Parse(c.text, "tokens.txt");
    ASSERT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(table.status().message().find(c.expect_in_message), absl::string_view::npos)
        << table.status();
  }
}

TEST(TokenTableTest, LoadMissingFile) {
  EXPECT_EQ(TokenTable::Load("/nonexistent/tokens").status().code(), absl::StatusCode::kNotFound);
}

TEST(RoleTest, Validity) {
  for (const char* good :
       {"admin", "approver", "finance", "auditor", "service", "bank:icbc", "enterprise:chalco-1"}) {
    EXPECT_TRUE(IsValidRole(good)) << good;
  }
  for (const char* bad : {"", "Admin", "bank", "bank:", "enterprise:x y", "root"}) {
    EXPECT_FALSE(IsValidRole(bad)) << bad;
  }
}

// A self-signed certificate with the given subject, as PEM.
std::string MakeCertificate(const std::vector<std::pair<std::string, std::string>>& subject) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& [field, value] : subject) {
    X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  }
  X509_set_issuer_name(cert.get(), name);
  X509_sign(cert.get(), key.get(), EVP_sha256());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

TEST(CertificateTest, NameIsCnRolesAreOus) {
  std::string pem = MakeCertificate(
      {{"O", "Reserve"}, {"OU", "service"}, {"OU", "auditor"}, {"CN", "inventory-1"}});
  absl::StatusOr<Principal> principal = PrincipalFromCertificate(pem);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->name, "inventory-1");
  EXPECT_EQ(principal->roles, (std::vector<std::string>{"service", "auditor"}));
}

TEST(CertificateTest, Rejections) {
  EXPECT_EQ(PrincipalFromCertificate("not a certificate").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PrincipalFromCertificate(MakeCertificate({{"OU", "admin"}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      PrincipalFromCertificate(MakeCertificate({{"OU", "root"}, {"CN", "x"}})).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(AuthorizerTest, BearerTokens) {
  auto table = TokenTable::Parse("secret alice admin\n", "t");
  ASSERT_TRUE(table.ok());
  Authorizer authorizer(*std::move(table));
  std::multimap<grpc::string_ref, grpc::string_ref> metadata;
  EXPECT_EQ(authorizer.Authenticate(nullptr, metadata).status().code(),
            absl::StatusCode::kUnauthenticated);
  metadata.emplace("authorization", "Bearer wrong");
  EXPECT_EQ(authorizer.Authenticate(nullptr, metadata).status().code(),
            absl::StatusCode::kUnauthenticated);
  metadata.clear();
  metadata.emplace("authorization", "Basic secret");
  EXPECT_EQ(authorizer.Authenticate(nullptr, metadata).status().code(),
            absl::StatusCode::kUnauthenticated);
  metadata.clear();
  metadata.emplace("authorization", "Bearer secret");
  absl::StatusOr<Principal> principal = authorizer.Authenticate(nullptr, metadata);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->name, "alice");
}

}  // namespace
}  // namespace reserve
