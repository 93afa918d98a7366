#include "services/common/access_table.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"

namespace reserve {
namespace {

// Every method of every service of every proto under proto/reserve/v1 must be in the
// access table. CMake passes the proto file names and links all generated code, so a new
// service is covered as soon as its proto exists.
TEST(AccessTableTest, EveryMethodOfEveryServiceIsInTheTable) {
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  int services_seen = 0;
  const std::vector<std::string> files = absl::StrSplit(RESERVE_PROTO_FILES, ',');
  ASSERT_GE(files.size(), 3u);
  for (const std::string& file_name : files) {
    const google::protobuf::FileDescriptor* file = pool->FindFileByName(file_name);
    ASSERT_NE(file, nullptr) << file_name;
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      ++services_seen;
      for (int m = 0; m < service->method_count(); ++m) {
        const std::string method =
            absl::StrCat("/", service->full_name(), "/", service->method(m)->name());
        EXPECT_NE(AllowedRoles(method), nullptr) << method << " is missing from the access table";
      }
    }
  }
  EXPECT_GE(services_seen, 2);
}

// And the other way: nothing in the table that does not exist.
TEST(AccessTableTest, EveryTableEntryNamesARealMethod) {
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& method : AccessTableMethods()) {
    size_t slash = method.rfind('/');
    ASSERT_NE(slash, std::string::npos);
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(method.substr(1, slash - 1));
    ASSERT_NE(service, nullptr) << method;
    EXPECT_NE(service->FindMethodByName(method.substr(slash + 1)), nullptr) << method;
  }
}

TEST(AccessTableTest, RolePatterns) {
  EXPECT_TRUE(RoleMatches("bank:*", "bank:icbc"));
  EXPECT_FALSE(RoleMatches("bank:*", "bank:"));
  EXPECT_FALSE(RoleMatches("bank:*", "enterprise:icbc"));
  EXPECT_TRUE(RoleMatches("admin", "admin"));
  EXPECT_FALSE(RoleMatches("admin", "administrator"));
  EXPECT_TRUE(RoleMatches(kAnyAuthenticated, "finance"));
}

TEST(AccessTableTest, LedgerAccess) {
  Principal service{"svc", {"service"}};
  Principal finance{"fin", {"finance"}};
  Principal auditor{"aud", {"auditor"}};
  Principal admin{"adm", {"admin"}};
  const std::string commit = "/reserve.v1.LedgerService/Commit";
  EXPECT_TRUE(Authorizer::CheckAccess(service, commit).ok());
  absl::Status denied = Authorizer::CheckAccess(finance, commit);
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("service"), absl::string_view::npos);
  EXPECT_EQ(Authorizer::CheckAccess(admin, commit).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorizer::CheckAccess(auditor, "/reserve.v1.LedgerService/Verify").ok());
  EXPECT_EQ(Authorizer::CheckAccess(auditor, "/reserve.v1.LedgerService/Backup").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorizer::CheckAccess(admin, "/reserve.v1.LedgerService/Backup").ok());
  EXPECT_TRUE(Authorizer::CheckAccess(finance, "/reserve.v1.IdentityService/WhoAmI").ok());
  EXPECT_EQ(Authorizer::CheckAccess(admin, "/reserve.v1.LedgerService/NoSuch").code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace reserve
