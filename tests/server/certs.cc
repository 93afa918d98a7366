#include "tests/server/certs.h"

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/server/process.h"

namespace reserve::testing {
namespace {

constexpr absl::string_view kValidDays = "2";

std::vector<std::string> NewKeyArgs(const std::string& key_path) {
  return {"-newkey", "ec",      "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes",  "-keyout", key_path};
}

}  // namespace

absl::Status TestCa::Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = absl::StrCat(directory_, "/openssl.log");
  absl::StatusOr<int> code = RunCommand(argv, log);
  if (!code.ok()) {
    return code.status();
  }
  if (*code != 0) {
    absl::StatusOr<std::string> output = ReadFile(log);
    return absl::InternalError(absl::StrCat(absl::StrJoin(argv, " "), " exited ", *code, "\n",
                                            output.ok() ? *output : ""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TestCa>> TestCa::Create(const std::string& directory,
                                                       absl::string_view name) {
  CertFiles ca{absl::StrCat(directory, "/", name, ".ca.pem"),
               absl::StrCat(directory, "/", name, ".ca.key")};
  std::unique_ptr<TestCa> out = absl::WrapUnique(new TestCa(directory, std::string(name), ca));
  const std::string ext = absl::StrCat(directory, "/", name, ".ca.ext");
  std::vector<std::string> args = {"req", "-x509"};
  std::vector<std::string> key = NewKeyArgs(ca.key_path);
  args.insert(args.end(), key.begin(), key.end());
  args.insert(args.end(), {"-out", ca.cert_path, "-days", std::string(kValidDays), "-subj",
                           absl::StrCat("/CN=", name), "-config", ext, "-extensions", "v3_ca"});
  // `req -config` needs a [req] section with distinguished_name; give a minimal one.
  if (absl::Status s = WriteFile(ext,
                                 "[req]\n"
                                 "distinguished_name = dn\n"
                                 "[dn]\n"
                                 "[v3_ca]\n"
                                 "basicConstraints = critical, CA:TRUE\n"
                                 "keyUsage = critical, keyCertSign, cRLSign\n"
                                 "subjectKeyIdentifier = hash\n");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = out->Openssl(args); !s.ok()) {
    return s;
  }
  return out;
}

absl::StatusOr<CertFiles> TestCa::Issue(absl::string_view file_stem, absl::string_view subject,
                                        absl::string_view extensions) {
  const std::string base = absl::StrCat(directory_, "/", file_stem);
  CertFiles files{absl::StrCat(base, ".pem"), absl::StrCat(base, ".key")};
  const std::string csr = absl::StrCat(base, ".csr");
  const std::string ext = absl::StrCat(base, ".ext");
  if (absl::Status s = WriteFile(ext, extensions); !s.ok()) {
    return s;
  }
  std::vector<std::string> req = {"req", "-new"};
  std::vector<std::string> key = NewKeyArgs(files.key_path);
  req.insert(req.end(), key.begin(), key.end());
  req.insert(req.end(), {"-out", csr, "-subj", std::string(subject)});
  if (absl::Status s = Openssl(req); !s.ok()) {
    return s;
  }
  if (absl::Status s = Openssl({"x509", "-req", "-in", csr, "-CA", ca_.cert_path, "-CAkey",
                                ca_.key_path, "-CAcreateserial", "-days", std::string(kValidDays),
                                "-extfile", ext, "-out", files.cert_path});
      !s.ok()) {
    return s;
  }
  return files;
}

absl::StatusOr<CertFiles> TestCa::IssueServer(absl::string_view file_stem) {
  return Issue(file_stem, "/CN=localhost",
               "basicConstraints = CA:FALSE\n"
               "keyUsage = critical, digitalSignature, keyEncipherment\n"
               "extendedKeyUsage = serverAuth\n"
               "subjectAltName = IP:127.0.0.1, DNS:localhost\n");
}

absl::StatusOr<CertFiles> TestCa::IssueClient(absl::string_view file_stem,
                                              absl::string_view common_name,
                                              const std::vector<std::string>& units) {
  std::string subject = absl::StrCat("/CN=", common_name);
  for (const std::string& unit : units) {
    absl::StrAppend(&subject, "/OU=", unit);
  }
  return Issue(file_stem, subject,
               "basicConstraints = CA:FALSE\n"
               "keyUsage = critical, digitalSignature, keyEncipherment\n"
               "extendedKeyUsage = clientAuth\n");
}

}  // namespace reserve::testing
