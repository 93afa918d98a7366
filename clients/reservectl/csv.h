// A small RFC 4180 CSV reader for the files reservectl reads (lot batches, release lines).
#ifndef RESERVE_CLIENTS_RESERVECTL_CSV_H_
#define RESERVE_CLIENTS_RESERVECTL_CSV_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reserve::ctl {

// Rows a file may hold: one acquisition batch is at most 1,000 lots, so more is a mistake.
inline constexpr size_t kMaxCsvRows = 100'000;

// Each data row as column name -> value, using the header line for names. Quoted fields may
// hold commas, doubled quotes and line breaks; CRLF or LF line ends; blank lines skipped.
// INVALID_ARGUMENT naming the line for unbalanced quotes, a row with the wrong field count,
// a duplicate or empty header, or more than kMaxCsvRows rows.
absl::StatusOr<std::vector<std::map<std::string, std::string>>> ParseCsv(absl::string_view text);

}  // namespace reserve::ctl

#endif  // RESERVE_CLIENTS_RESERVECTL_CSV_H_
