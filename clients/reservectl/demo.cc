// `reservectl demo load`: loads the demo data set (demo_data.h) into an empty store through
// the ordinary RPCs, with request ids derived from the seed so that re-running is harmless.
#include <google/protobuf/struct.pb.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "clients/reservectl/command_kit.h"
#include "clients/reservectl/demo_data.h"
#include "clients/reservectl/output.h"

namespace reserve::ctl {

namespace {

constexpr absl::string_view kDefaultPrices = "ops/demo/metal-prices-monthly.csv";
// The Pink Sheet is about 80 KB; a file far larger than that is the wrong file.
constexpr size_t kMaxPriceFileBytes = 16 * 1024 * 1024;

struct LoadFlags {
  std::string prices = std::string(kDefaultPrices);
  std::string cny_per_usd = "7.10";
  uint64_t seed = 1;
  int lots = 2000;
  bool force = false;
};

using Stub = v1::InventoryService::Stub;

int Load(Session& s, const LoadFlags& f) {
  std::ifstream in(f.prices, std::ios::binary);
  if (!in) return s.Usage(absl::StrCat("--prices: cannot read ", f.prices));
  std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (csv.size() > kMaxPriceFileBytes) return s.Usage("--prices: file too large");
  absl::StatusOr<PinkSheet> sheet = ParsePinkSheet(csv);
  if (!sheet.ok()) return s.Usage(absl::StrCat(f.prices, ": ", sheet.status().message()));
  DemoOptions options;
  options.seed = f.seed;
  options.lots = f.lots;
  options.cny_per_usd = f.cny_per_usd;
  absl::StatusOr<DemoData> data = GenerateDemo(options, *sheet);
  if (!data.ok()) return s.Usage(data.status().message());

  v1::ListDepotsRequest probe;
  probe.set_page_size(1);
  auto existing = kit::Call(s, &Stub::ListDepots, probe);
  if (!existing.ok()) return s.Fail(existing.status());
  if (existing->depots_size() > 0 && !f.force) {
    s.out << "demo: the store already has depots; nothing loaded (--force re-sends the demo's "
             "requests, which the server answers idempotently)\n";
    return kExitOk;
  }

  for (const auto& [request_id, depot] : data->depots) {
    v1::CreateDepotRequest req;
    req.set_request_id(request_id);
    *req.mutable_depot() = depot;
    if (auto r = kit::Call(s, &Stub::CreateDepot, req); !r.ok()) return s.Fail(r.status());
  }
  s.err << "demo: " << data->depots.size() << " depots\n";

  for (const v1::AddPriceMarksRequest& req : data->price_requests) {
    if (auto r = kit::Call(s, &Stub::AddPriceMarks, req); !r.ok()) return s.Fail(r.status());
  }
  s.err << "demo: " << data->total_marks << " price marks (" << data->price_source << ")\n";

  size_t lots = 0;
  for (const DemoBatch& batch : data->batches) {
    v1::AcquireLotsRequest req;
    req.set_request_id(batch.request_id);
    *req.mutable_business_date() = batch.business_date;
    for (const v1::Lot& lot : batch.lots) *req.add_lots() = lot;
    req.set_memo(absl::StrCat("demo data, seed ", f.seed));
    if (auto r = kit::Call(s, &Stub::AcquireLots, req); !r.ok()) return s.Fail(r.status());
    lots += batch.lots.size();
  }
  s.err << "demo: " << lots << " lots in " << data->batches.size() << " acquisitions\n";

  struct Summary {
    std::string what;
    std::string count;
  };
  const std::vector<Summary> rows = {
      {"depots", absl::StrCat(data->depots.size())},
      {"lots", absl::StrCat(lots)},
      {"mass_t", Tonnes(data->total_mass_g)},
      {"price_marks", absl::StrCat(data->total_marks)},
      {"price_source", data->price_source},
  };
  Columns<Summary> cols = {{"loaded", [](const Summary& r) { return r.what; }},
                           {"value", [](const Summary& r) { return r.count; }}};
  // The summary is no proto message; for JSON it is a google.protobuf.Struct of strings.
  google::protobuf::Struct summary;
  for (const Summary& r : rows) {
    (*summary.mutable_fields())[r.what].set_string_value(r.count);
  }
  return s.Print(summary, MakeTable(cols, rows));
}

}  // namespace

void AddDemoCommands(CLI::App& app, Action* chosen) {
  CLI::App* demo = app.add_subcommand("demo", "Demo data for trying the system");
  demo->require_subcommand(1);
  auto f = std::make_shared<LoadFlags>();
  CLI::App* load = kit::Leaf(
      demo, "load",
      "Load depots, lots and Pink Sheet price marks into an empty store (admin). Deterministic "
      "for a seed; re-running is harmless",
      chosen, [f](Session& s) { return Load(s, *f); });
  load->add_option("--prices", f->prices, "World Bank Pink Sheet monthly CSV")
      ->capture_default_str();
  load->add_option("--cny-per-usd", f->cny_per_usd, "exchange rate (exact decimal)")
      ->capture_default_str();
  load->add_option("--seed", f->seed, "random seed")->capture_default_str();
  load->add_option("--lots", f->lots, "number of lots")->capture_default_str();
  load->add_flag("--force", f->force, "load even if depots exist (same idempotent requests)");
}

}  // namespace reserve::ctl
