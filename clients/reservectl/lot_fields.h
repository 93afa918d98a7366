// The lot fields reservectl accepts, as one table shared by command-line flags
// (`lots acquire --metal CU --net-mass-t 25.125 ...`) and CSV batch files (a header naming
// the same columns: metal,net_mass_t,...). Each entry knows its column name, its flag and how
// to put its text into a reserve.v1.Lot.
#ifndef RESERVE_CLIENTS_RESERVECTL_LOT_FIELDS_H_
#define RESERVE_CLIENTS_RESERVECTL_LOT_FIELDS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reserve/v1/inventory.pb.h"

namespace reserve::ctl {

struct LotField {
  std::string column;  // CSV column, e.g. "net_mass_t"
  std::string flag;    // e.g. "--net-mass-t"
  std::string help;
  std::function<absl::Status(const std::string& text, v1::Lot* lot)> set;
};

// Every accepted field, in a stable order.
const std::vector<LotField>& LotFields();

// Builds a lot from column -> text (empty texts are skipped). Defaults: gross mass = net
// mass, currency = CNY, year stored = `default_year_stored` when not given. INVALID_ARGUMENT
// naming the column for unknown columns, bad values, or both forms of one quantity
// (net_mass_g and net_mass_t).
absl::StatusOr<v1::Lot> LotFromFields(const std::map<std::string, std::string>& fields,
                                      int default_year_stored);

}  // namespace reserve::ctl

#endif  // RESERVE_CLIENTS_RESERVECTL_LOT_FIELDS_H_
