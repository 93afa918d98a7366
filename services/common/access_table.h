// THE access table: for every RPC, the roles allowed to call it (DESIGN.md section 7).
// Services add their methods to access_table.cc; access_table_test fails if any method of
// any generated service is missing.
#ifndef RESERVE_SERVICES_COMMON_ACCESS_TABLE_H_
#define RESERVE_SERVICES_COMMON_ACCESS_TABLE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace reserve {

// A role pattern: an exact role ("admin"), a family ("bank:*" matches "bank:icbc"), or
// kAnyAuthenticated.
inline constexpr absl::string_view kAnyAuthenticated = "*";

// The role patterns allowed on `full_method` ("/reserve.v1.LedgerService/Commit"), or null
// when the method is not in the table (then nobody may call it).
const std::vector<std::string>* AllowedRoles(absl::string_view full_method);

// True when `role` matches `pattern`.
bool RoleMatches(absl::string_view pattern, absl::string_view role);

// Every method name in the table, for tests.
std::vector<std::string> AccessTableMethods();

}  // namespace reserve

#endif  // RESERVE_SERVICES_COMMON_ACCESS_TABLE_H_
