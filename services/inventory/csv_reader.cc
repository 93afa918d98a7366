#include "services/inventory/csv_reader.h"

#include <csv.h>

#include "absl/strings/str_cat.h"
#include "storage/errors.h"

namespace reserve::inventory {
namespace {

struct ParseState {
  std::vector<CsvRow> rows;
  CsvRow current;
  size_t max_rows = 0;
  bool too_many = false;
};

void OnField(void* data, size_t len, void* state_ptr) {
  auto* state = static_cast<ParseState*>(state_ptr);
  state->current.emplace_back(static_cast<const char*>(data), len);
}

void OnRecord(int /*terminator*/, void* state_ptr) {
  auto* state = static_cast<ParseState*>(state_ptr);
  if (state->rows.size() >= state->max_rows) {
    state->too_many = true;
    state->current.clear();
    return;
  }
  state->rows.push_back(std::move(state->current));
  state->current.clear();
}

int NeverSpace(unsigned char) { return 0; }

}  // namespace

absl::StatusOr<std::vector<CsvRow>> ParseCsv(absl::string_view text, size_t max_rows,
                                             absl::string_view field) {
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    return absl::ResourceExhaustedError("csv parser could not allocate");
  }
  csv_set_space_func(&parser, NeverSpace);
  ParseState state;
  state.max_rows = max_rows;
  size_t used = csv_parse(&parser, text.data(), text.size(), OnField, OnRecord, &state);
  bool failed = used != text.size();
  if (!failed && csv_fini(&parser, OnField, OnRecord, &state) != 0) {
    failed = true;
  }
  std::string problem = failed ? csv_strerror(csv_error(&parser)) : "";
  csv_free(&parser);
  if (failed) {
    return InvalidField(
        field, absl::StrCat("malformed CSV after record ", state.rows.size(), ": ", problem));
  }
  if (state.too_many) {
    return absl::ResourceExhaustedError(
        absl::StrCat(field, ": more than ", max_rows, " CSV records"));
  }
  return std::move(state.rows);
}

}  // namespace reserve::inventory
