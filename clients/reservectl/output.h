// One printer for every command: a response becomes a Table (columns chosen per message
// type, table-driven), printed as aligned text or CSV; JSON prints the response message
// itself with protobuf's JSON printer.
#ifndef RESERVE_CLIENTS_RESERVECTL_OUTPUT_H_
#define RESERVE_CLIENTS_RESERVECTL_OUTPUT_H_

#include <google/protobuf/message.h>
#include <google/protobuf/repeated_field.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reserve::ctl {

enum class Format { kTable, kJson, kCsv };

// "table", "json" or "csv"; INVALID_ARGUMENT otherwise.
absl::StatusOr<Format> ParseFormat(absl::string_view text);

enum class Align { kLeft, kRight };

// One column of a table of `Row`s: a header and how to render a cell.
template <typename Row>
struct Column {
  std::string header;
  std::function<std::string(const Row&)> cell;
  Align align = Align::kLeft;
};

template <typename Row>
using Columns = std::vector<Column<Row>>;

struct Table {
  std::vector<std::string> headers;
  std::vector<Align> aligns;
  std::vector<std::vector<std::string>> rows;
};

template <typename Row, typename Container>
Table MakeTable(const Columns<Row>& columns, const Container& rows) {
  Table t;
  for (const Column<Row>& c : columns) {
    t.headers.push_back(c.header);
    t.aligns.push_back(c.align);
  }
  for (const Row& r : rows) {
    std::vector<std::string> cells;
    cells.reserve(columns.size());
    for (const Column<Row>& c : columns) {
      cells.push_back(c.cell(r));
    }
    t.rows.push_back(std::move(cells));
  }
  return t;
}

// `first`'s columns, then `more`'s (a detail view that extends a list view).
template <typename Row>
Columns<Row> Concat(Columns<Row> first, const Columns<Row>& more) {
  first.insert(first.end(), more.begin(), more.end());
  return first;
}

// `inner`'s columns for a message that holds an `Inner`: the same headers and alignment, each
// cell read through `part` (a getter such as &v1::GetDepotResponse::depot).
template <typename Outer, typename Inner, typename Part>
Columns<Outer> Nested(const Columns<Inner>& inner, Part part) {
  Columns<Outer> out;
  for (const Column<Inner>& c : inner) {
    out.push_back({c.header,
                   [cell = c.cell, part](const Outer& o) { return cell(std::invoke(part, o)); },
                   c.align});
  }
  return out;
}

// A single message as a one-row table.
template <typename Row>
Table MakeTable(const Columns<Row>& columns, const Row& row) {
  return MakeTable(columns, std::vector<Row>{row});
}

// Aligned columns separated by two spaces, header first; "(none)" when there are no rows.
void PrintText(const Table& table, std::ostream& out);
// RFC 4180: header line, fields quoted when they hold a comma, quote or line break.
void PrintCsv(const Table& table, std::ostream& out);
// Pretty JSON with the proto field names (snake_case) and default values shown.
void PrintJson(const google::protobuf::Message& message, std::ostream& out);

// `table` turned on its side: one "field value" row per column (for single objects).
// Only meaningful for a table of one row; more rows print one block each.
Table Transpose(const Table& table);

struct EmitOptions {
  bool vertical = false;  // text format only: print a one-object table as field/value rows
  std::string trailer;    // text format only: a line after the table (e.g. the commit seq)
};

// Prints `message` as JSON, or `table` as text or CSV, per `format`.
void Emit(Format format, const google::protobuf::Message& message, const Table& table,
          std::ostream& out, const EmitOptions& options = {});

// Cell helpers shared by the column tables.
std::string Tonnes(int64_t grams);       // exact: "25.125" (at least 3 decimals)
std::string Money(int64_t minor_units);  // exact: "1234.56"
std::string Bool(bool value);            // "yes" / "no"

}  // namespace reserve::ctl

#endif  // RESERVE_CLIENTS_RESERVECTL_OUTPUT_H_
