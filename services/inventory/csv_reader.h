// An RFC 4180 CSV reader over Debian's libcsv (package libcsv-dev), strict mode.
//
// Fields may be quoted with '"'; a quoted field may hold commas, doubled quotes and line
// breaks. Records end with CRLF or LF. Spaces are part of a field (no trimming). Blank lines
// are skipped. A stray quote inside an unquoted field, or text after a closing quote, is
// INVALID_ARGUMENT naming the record (1-based line of the record start is not tracked by
// libcsv, so the error names the record number).
#ifndef RESERVE_SERVICES_INVENTORY_CSV_READER_H_
#define RESERVE_SERVICES_INVENTORY_CSV_READER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reserve::inventory {

using CsvRow = std::vector<std::string>;

// Parses `text` into rows. More than `max_rows` rows is RESOURCE_EXHAUSTED; malformed text
// is INVALID_ARGUMENT with field `field` (e.g. "csv").
absl::StatusOr<std::vector<CsvRow>> ParseCsv(absl::string_view text, size_t max_rows,
                                             absl::string_view field);

}  // namespace reserve::inventory

#endif  // RESERVE_SERVICES_INVENTORY_CSV_READER_H_
