#include "clients/reservectl/command_kit.h"

#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "clients/reservectl/decimal.h"

namespace reserve::ctl::kit {

CLI::App* Leaf(CLI::App* parent, const std::string& name, const std::string& description,
               Action* chosen, Action action) {
  CLI::App* leaf = parent->add_subcommand(name, description);
  leaf->callback([chosen, action = std::move(action)] { *chosen = action; });
  return leaf;
}

int PrintWithLines(Session& s, const google::protobuf::Message& response, const Table& object,
                   const Table& lines, const std::string& trailer) {
  if (s.format == Format::kJson) {
    PrintJson(response, s.out);
    return kExitOk;
  }
  Emit(s.format, response, object, s.out, {true, ""});
  return s.Print(response, lines, {false, trailer});
}

void AddMutationFlags(CLI::App* cmd, MutationFlags* flags, bool with_date) {
  cmd->add_option("--request-id", flags->request_id,
                  "idempotency key; repeat it to retry safely (default: a fresh random id)");
  if (with_date) {
    cmd->add_option("--date", flags->date, "business (effective) date YYYY-MM-DD (default: today)");
  }
}

std::string CommitLine(const v1::CommitInfo& commit) {
  if (commit.replayed()) {
    return absl::StrCat("replayed: seq ", commit.seq(),
                        " (an earlier request with this id; nothing new was written)");
  }
  return absl::StrCat("committed: seq ", commit.seq());
}

void AddPageFlags(CLI::App* cmd, PageFlags* flags, bool with_all) {
  cmd->add_option("--page-size", flags->page_size, "rows per page (server default 100, max 1000)");
  cmd->add_option("--page-token", flags->page_token, "continue from this token");
  if (with_all) {
    cmd->add_flag("--all", flags->all, "follow page tokens and print every row");
  }
}

std::string MoreLine(const std::string& token) {
  return token.empty() ? "" : absl::StrCat("more: --page-token ", token);
}

absl::Status FlagError(absl::string_view flag, const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", status.message()));
}

absl::StatusOr<int64_t> MoneyFlag(absl::string_view flag, absl::string_view text) {
  absl::StatusOr<int64_t> v = ParseScaled(text, 2);
  if (!v.ok()) return FlagError(flag, v.status());
  return v;
}

absl::StatusOr<int64_t> TonnesFlag(absl::string_view flag, absl::string_view text) {
  absl::StatusOr<int64_t> v = TonnesToGrams(text);
  if (!v.ok()) return FlagError(flag, v.status());
  return v;
}

absl::StatusOr<v1::Date> DateFlag(absl::string_view flag, absl::string_view text) {
  absl::StatusOr<v1::Date> d = ParseDate(text);
  if (!d.ok()) return FlagError(flag, d.status());
  return d;
}

absl::StatusOr<std::pair<std::string, std::string>> KeyValueFlag(absl::string_view flag,
                                                                 absl::string_view text) {
  std::pair<std::string, std::string> kv = absl::StrSplit(text, absl::MaxSplits('=', 1));
  if (kv.first.empty() || kv.second.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " wants KEY=VALUE, got '", text, "'"));
  }
  return std::make_pair(absl::AsciiStrToUpper(kv.first), kv.second);
}

void AddMassFlags(CLI::App* cmd, const std::string& stem, const std::string& what,
                  MassFlags* flags) {
  flags->stem = stem;
  CLI::Option* t = cmd->add_option("--" + stem + "-t", flags->tonnes,
                                   what + " in tonnes (exact decimal, up to 6 decimals)");
  cmd->add_option("--" + stem + "-g", flags->grams, what + " in grams")->excludes(t);
}

absl::StatusOr<int64_t> MassValue(const MassFlags& flags) {
  if (flags.tonnes.empty()) return flags.grams;
  return TonnesFlag(absl::StrCat("--", flags.stem, "-t"), flags.tonnes);
}

absl::StatusOr<int64_t> PositiveMass(const MassFlags& flags) {
  if (flags.tonnes.empty() && flags.grams <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("give --", flags.stem, "-t or --", flags.stem, "-g"));
  }
  absl::StatusOr<int64_t> g = MassValue(flags);
  if (g.ok() && *g <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("--", flags.stem, "-t: must be positive"));
  }
  return g;
}

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > kMaxInputFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is larger than ", kMaxInputFileBytes, " bytes"));
  }
  return text;
}

absl::Status WriteOutput(const std::string& path, absl::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("writing ", path, " failed"));
  return absl::OkStatus();
}

}  // namespace reserve::ctl::kit
