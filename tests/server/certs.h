// Test certificates made at test time with the `openssl` command line, in a scratch
// directory: nothing secret is checked in, and nothing expires between runs.
#ifndef RESERVE_TESTS_SERVER_CERTS_H_
#define RESERVE_TESTS_SERVER_CERTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reserve::testing {

// PEM files of one certificate and its key.
struct CertFiles {
  std::string cert_path;
  std::string key_path;
};

// A certificate authority in `directory`, able to sign server and client certificates.
// Keys are EC P-256 (fast to make). Certificates are valid from now for two days.
class TestCa {
 public:
  // Creates a self-signed CA named `name` (used as the CN and in file names).
  static absl::StatusOr<std::unique_ptr<TestCa>> Create(const std::string& directory,
                                                        absl::string_view name);

  const std::string& cert_path() const { return ca_.cert_path; }

  // A server certificate for 127.0.0.1 and localhost (subjectAltName; EKU serverAuth).
  absl::StatusOr<CertFiles> IssueServer(absl::string_view file_stem);

  // A client certificate whose subject is CN=`common_name` with one OU per entry of
  // `units` (EKU clientAuth).
  absl::StatusOr<CertFiles> IssueClient(absl::string_view file_stem, absl::string_view common_name,
                                        const std::vector<std::string>& units);

 private:
  TestCa(std::string directory, std::string name, CertFiles ca)
      : directory_(std::move(directory)), name_(std::move(name)), ca_(std::move(ca)) {}
  absl::StatusOr<CertFiles> Issue(absl::string_view file_stem, absl::string_view subject,
                                  absl::string_view extensions);
  absl::Status Openssl(const std::vector<std::string>& args);

  const std::string directory_;
  const std::string name_;
  const CertFiles ca_;
};

}  // namespace reserve::testing

#endif  // RESERVE_TESTS_SERVER_CERTS_H_
