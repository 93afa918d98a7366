#include "clients/reservectl/commands.h"

#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/reservectl/command_kit.h"
#include "clients/reservectl/csv.h"
#include "clients/reservectl/decimal.h"
#include "clients/reservectl/lot_fields.h"
#include "storage/exact.h"

namespace reserve::ctl {

// ---- Session ----

absl::StatusOr<Connection*> Session::connection() {
  if (connection_ == nullptr) {
    absl::StatusOr<std::unique_ptr<Connection>> opened = Connection::Open(global);
    if (!opened.ok()) {
      return opened.status();
    }
    connection_ = *std::move(opened);
  }
  return connection_.get();
}

int Session::Fail(const absl::Status& status) {
  err << ErrorLine(status) << "\n";
  return kExitFailure;
}

int Session::Usage(absl::string_view message) {
  err << "error: " << message << "\nRun with --help for more information.\n";
  return kExitUsage;
}

int Session::Print(const google::protobuf::Message& response, const Table& table,
                   const EmitOptions& options) {
  Emit(format, response, table, out, options);
  return kExitOk;
}

namespace {

using Stub = v1::InventoryService::Stub;
using kit::CommitLine;
using kit::Leaf;
using kit::MoreLine;
using kit::MutationFlags;
using kit::PageFlags;

constexpr int kDaysPerYear = 365;

int CurrentYear() { return absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year(); }

int BusinessYear(const MutationFlags& flags) {
  absl::StatusOr<v1::Date> date = ParseDate(flags.date);
  return date.ok() ? date->year() : CurrentYear();
}

// ---- Column tables, one per message type ----

std::string Grades(const v1::Metal& m) {
  std::vector<std::string> parts;
  for (const v1::Grade& g : m.grades()) {
    parts.push_back(absl::StrCat(g.code(), " (", g.standard(), ")"));
  }
  return absl::StrJoin(parts, "; ");
}

std::string TonnesMap(const google::protobuf::Map<std::string, int64_t>& m) {
  std::map<std::string, int64_t> sorted(m.begin(), m.end());
  std::vector<std::string> parts;
  for (const auto& [metal, g] : sorted) {
    parts.push_back(absl::StrCat(metal, "=", FormatScaled(g, 6, 0), "t"));
  }
  return absl::StrJoin(parts, " ");
}

const Columns<v1::Metal>& MetalColumns() {
  static const Columns<v1::Metal> c = {
      {"code", [](const v1::Metal& m) { return m.code(); }},
      {"name_en", [](const v1::Metal& m) { return m.name_en(); }},
      {"name_zh", [](const v1::Metal& m) { return m.name_zh(); }},
      {"grades", Grades},
  };
  return c;
}

Columns<v1::Depot> DepotColumns() {
  return {
      {"depot_id", [](const v1::Depot& d) { return d.depot_id(); }},
      {"name", [](const v1::Depot& d) { return d.name(); }},
      {"province", [](const v1::Depot& d) { return d.province(); }},
      {"operator", [](const v1::Depot& d) { return d.operator_name(); }},
      {"kind", [](const v1::Depot& d) { return EnumName(v1::DepotKind_descriptor(), d.kind()); }},
      {"pledge_ok", [](const v1::Depot& d) { return Bool(d.approved_for_pledge()); }},
      {"capacity", [](const v1::Depot& d) { return TonnesMap(d.capacity_g()); }},
  };
}

const Columns<v1::Lot>& LotColumns() {
  static const Columns<v1::Lot> c = {
      {"lot_id", [](const v1::Lot& l) { return l.lot_id(); }},
      {"metal", [](const v1::Lot& l) { return l.metal(); }},
      {"grade", [](const v1::Lot& l) { return l.grade(); }},
      {"brand", [](const v1::Lot& l) { return l.brand(); }},
      {"net_t", [](const v1::Lot& l) { return Tonnes(l.net_mass_g()); }, Align::kRight},
      {"depot", [](const v1::Lot& l) { return l.depot_id(); }},
      {"produced", [](const v1::Lot& l) { return absl::StrCat(l.year_produced()); }},
      {"stored", [](const v1::Lot& l) { return absl::StrCat(l.year_stored()); }},
      {"class",
       [](const v1::Lot& l) { return EnumName(v1::ReserveClass_descriptor(), l.reserve_class()); }},
      {"owner", [](const v1::Lot& l) { return l.owner(); }},
      {"status", [](const v1::Lot& l) { return EnumName(v1::LotStatus_descriptor(), l.status()); }},
      {"cost", [](const v1::Lot& l) { return Money(l.cost_minor()); }, Align::kRight},
  };
  return c;
}

// Every field of a lot, for `lots get`.
const Columns<v1::Lot>& LotDetailColumns() {
  static const Columns<v1::Lot> c =
      Concat(LotColumns(),
             {
                 {"standard", [](const v1::Lot& l) { return l.standard(); }},
                 {"form", [](const v1::Lot& l) { return l.form(); }},
                 {"pieces", [](const v1::Lot& l) { return absl::StrCat(l.pieces()); }},
                 {"gross_t", [](const v1::Lot& l) { return Tonnes(l.gross_mass_g()); }},
                 {"location", [](const v1::Lot& l) { return l.location(); }},
                 {"currency", [](const v1::Lot& l) { return l.currency(); }},
                 {"transit_to", [](const v1::Lot& l) { return l.transit_to_depot_id(); }},
                 {"encumbrances",
                  [](const v1::Lot& l) {
                    std::vector<std::string> parts;
                    for (const v1::Encumbrance& e : l.encumbrances()) {
                      parts.push_back(absl::StrCat(e.kind(), ":", e.holder(), ":", e.reference()));
                    }
                    return absl::StrJoin(parts, " ");
                  }},
                 {"order_id", [](const v1::Lot& l) { return l.order_id(); }},
                 {"released_to", [](const v1::Lot& l) { return l.released_to(); }},
                 {"release_reference", [](const v1::Lot& l) { return l.release_reference(); }},
             });
  return c;
}

const Columns<v1::LotEvent>& LotEventColumns() {
  static const Columns<v1::LotEvent> c = {
      {"seq", [](const v1::LotEvent& e) { return absl::StrCat(e.seq()); }, Align::kRight},
      {"date", [](const v1::LotEvent& e) { return FormatDate(e.business_date()); }},
      {"kind", [](const v1::LotEvent& e) { return e.kind(); }},
      {"principal", [](const v1::LotEvent& e) { return e.principal(); }},
      {"status",
       [](const v1::LotEvent& e) {
         return EnumName(v1::LotStatus_descriptor(), e.lot().status());
       }},
      {"depot", [](const v1::LotEvent& e) { return e.lot().depot_id(); }},
      {"transit_to", [](const v1::LotEvent& e) { return e.lot().transit_to_depot_id(); }},
      {"net_t", [](const v1::LotEvent& e) { return Tonnes(e.lot().net_mass_g()); }, Align::kRight},
      {"memo", [](const v1::LotEvent& e) { return e.memo(); }},
  };
  return c;
}

const Columns<v1::StockCount>& CountColumns() {
  using C = v1::StockCount;
  static const Columns<C> c = {
      {"count_id", [](const C& x) { return x.count_id(); }},
      {"lot_id", [](const C& x) { return x.lot_id(); }},
      {"metal", [](const C& x) { return x.metal(); }},
      {"depot", [](const C& x) { return x.depot_id(); }},
      {"book_t", [](const C& x) { return Tonnes(x.book_mass_g()); }, Align::kRight},
      {"counted_t", [](const C& x) { return Tonnes(x.counted_mass_g()); }, Align::kRight},
      {"difference_t", [](const C& x) { return Tonnes(x.difference_g()); }, Align::kRight},
      {"status",
       [](const C& x) { return EnumName(v1::StockCountStatus_descriptor(), x.status()); }},
      {"counter", [](const C& x) { return x.counter(); }},
      {"approver", [](const C& x) { return x.approver(); }},
      {"date", [](const C& x) { return FormatDate(x.business_date()); }},
      {"reason", [](const C& x) { return x.reason(); }},
  };
  return c;
}

const Columns<v1::PriceMark>& PriceColumns() {
  using P = v1::PriceMark;
  static const Columns<P> c = {
      {"metal", [](const P& p) { return p.metal(); }},
      {"date", [](const P& p) { return FormatDate(p.date()); }},
      {"price_per_t", [](const P& p) { return Money(p.price_minor_per_t()); }, Align::kRight},
      {"currency", [](const P& p) { return p.currency(); }},
      {"source", [](const P& p) { return p.source(); }},
  };
  return c;
}

// Holding columns: metal, then only the keys grouped by, then the mass.
Columns<v1::HoldingRow> HoldingColumns(const std::vector<v1::HoldingsGroupKey>& keys) {
  using H = v1::HoldingRow;
  Columns<H> c = {{"metal", [](const H& h) { return h.metal(); }}};
  for (v1::HoldingsGroupKey k : keys) {
    switch (k) {
      case v1::HOLDINGS_GROUP_KEY_DEPOT:
        c.push_back({"depot", [](const H& h) { return h.depot_id(); }});
        break;
      case v1::HOLDINGS_GROUP_KEY_PROVINCE:
        c.push_back({"province", [](const H& h) { return h.province(); }});
        break;
      case v1::HOLDINGS_GROUP_KEY_RESERVE_CLASS:
        c.push_back({"class", [](const H& h) {
                       return EnumName(v1::ReserveClass_descriptor(), h.reserve_class());
                     }});
        break;
      case v1::HOLDINGS_GROUP_KEY_OWNER:
        c.push_back({"owner", [](const H& h) { return h.owner(); }});
        break;
      default:
        break;
    }
  }
  c.push_back({"mass_t", [](const H& h) { return Tonnes(h.mass_g()); }, Align::kRight});
  return c;
}

Columns<v1::ValuationRow> ValuationColumns(const std::vector<v1::HoldingsGroupKey>& keys) {
  using V = v1::ValuationRow;
  return Concat(
      Nested<V>(HoldingColumns(keys), &V::holding),
      {
          {"currency", [](const V& v) { return v.currency(); }},
          {"book_cost", [](const V& v) { return Money(v.book_cost_minor()); }, Align::kRight},
          {"price_date", [](const V& v) { return v.priced() ? FormatDate(v.price_date()) : "-"; }},
          {"price_per_t",
           [](const V& v) { return v.priced() ? Money(v.price_minor_per_t()) : "-"; },
           Align::kRight},
          {"market_value",
           [](const V& v) { return v.priced() ? Money(v.market_value_minor()) : "-"; },
           Align::kRight},
          {"unrealised",
           [](const V& v) { return v.priced() ? Money(v.unrealised_gain_minor()) : "-"; },
           Align::kRight},
      });
}

// ---- whoami ----

void AddWhoAmI(CLI::App& app, Action* chosen) {
  Leaf(&app, "whoami", "Show the principal and roles the server sees for your credentials", chosen,
       [](Session& s) {
         auto r = kit::Call(s, &v1::IdentityService::Stub::WhoAmI, v1::WhoAmIRequest());
         if (!r.ok()) return s.Fail(r.status());
         Columns<v1::Principal> cols = {
             {"name", [](const v1::Principal& x) { return x.name(); }},
             {"roles", [](const v1::Principal& x) { return absl::StrJoin(x.roles(), ","); }},
         };
         return s.Print(*r, MakeTable(cols, *r));
       });
}

// ---- metals ----

void AddMetals(CLI::App& app, Action* chosen) {
  CLI::App* metals = app.add_subcommand("metals", "The metals catalog: codes, names, grades");
  metals->require_subcommand(1);

  auto page = std::make_shared<PageFlags>();
  kit::AddPageFlags(Leaf(metals, "list", "List metals and their grades", chosen,
                         [page](Session& s) {
                           auto r =
                               kit::ListPages(s, &Stub::ListMetals, v1::ListMetalsRequest(), *page);
                           if (!r.ok()) return s.Fail(r.status());
                           return s.Print(*r, MakeTable(MetalColumns(), r->metals()),
                                          {false, MoreLine(r->next_page_token())});
                         }),
                    page.get());

  auto code = std::make_shared<std::string>();
  Leaf(metals, "get", "Show one metal", chosen,
       [code](Session& s) {
         v1::GetMetalRequest req;
         req.set_code(absl::AsciiStrToUpper(*code));
         auto r = kit::Call(s, &Stub::GetMetal, req);
         if (!r.ok()) return s.Fail(r.status());
         return s.Print(*r, MakeTable(MetalColumns(), *r), {true, ""});
       })
      ->add_option("code", *code, "metal code, e.g. CU")
      ->required();

  struct CreateFlags {
    MutationFlags m;
    std::string code, name_zh, name_en;
    std::vector<std::string> grades;
  };
  auto cf = std::make_shared<CreateFlags>();
  CLI::App* create =
      Leaf(metals, "create", "Add a metal to the catalog (admin)", chosen, [cf](Session& s) {
        v1::CreateMetalRequest req;
        if (auto st = kit::ApplyMutationFlags(cf->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        v1::Metal* m = req.mutable_metal();
        m->set_code(absl::AsciiStrToUpper(cf->code));
        m->set_name_zh(cf->name_zh);
        m->set_name_en(cf->name_en);
        for (const std::string& g : cf->grades) {
          std::pair<std::string, std::string> kv = absl::StrSplit(g, absl::MaxSplits('=', 1));
          if (kv.second.empty()) {
            return s.Usage(
                "--grade wants CODE=STANDARD, e.g. "
                "Cu-CATH-1=\"GB/T 467\"");
          }
          v1::Grade* grade = m->add_grades();
          grade->set_code(kv.first);
          grade->set_standard(kv.second);
        }
        auto r = kit::Call(s, &Stub::CreateMetal, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(MetalColumns(), r->metal()), {true, CommitLine(r->commit())});
      });
  kit::AddMutationFlags(create, &cf->m, false);
  create->add_option("--code", cf->code, "metal code: 1-8 upper-case letters or digits")
      ->required();
  create->add_option("--name-zh", cf->name_zh, "Chinese name")->required();
  create->add_option("--name-en", cf->name_en, "English name")->required();
  create->add_option("--grade", cf->grades, "grade as CODE=STANDARD (repeatable)");

  struct GradeFlags {
    MutationFlags m;
    std::string metal, code, standard;
  };
  auto gf = std::make_shared<GradeFlags>();
  CLI::App* add_grade =
      Leaf(metals, "add-grade", "Add a grade to a metal (admin)", chosen, [gf](Session& s) {
        v1::AddGradeRequest req;
        if (auto st = kit::ApplyMutationFlags(gf->m, &req); !st.ok()) return s.Usage(st.message());
        req.set_metal(absl::AsciiStrToUpper(gf->metal));
        req.mutable_grade()->set_code(gf->code);
        req.mutable_grade()->set_standard(gf->standard);
        auto r = kit::Call(s, &Stub::AddGrade, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(MetalColumns(), r->metal()), {true, CommitLine(r->commit())});
      });
  kit::AddMutationFlags(add_grade, &gf->m, false);
  add_grade->add_option("metal", gf->metal, "metal code")->required();
  add_grade->add_option("--code", gf->code, "grade code, e.g. Cu-CATH-1")->required();
  add_grade->add_option("--standard", gf->standard, "standard, e.g. GB/T 467")->required();
}

// ---- depots ----

struct DepotFlags {
  MutationFlags m;
  std::string id, name, province, operator_name, kind;
  bool pledge = false;
  CLI::Option* pledge_option = nullptr;
  std::vector<std::string> capacities;  // METAL=TONNES
};

void AddDepotFlags(CLI::App* cmd, DepotFlags* f, bool create) {
  kit::AddMutationFlags(cmd, &f->m, false);
  cmd->add_option("depot_id", f->id, "depot id, e.g. HB-XG-420")->required();
  CLI::Option* name = cmd->add_option("--name", f->name, "depot name");
  CLI::Option* province = cmd->add_option("--province", f->province, "province");
  CLI::Option* op = cmd->add_option("--operator", f->operator_name, "operating company");
  CLI::Option* kind = cmd->add_option("--kind", f->kind, EnumChoices(v1::DepotKind_descriptor()));
  f->pledge_option = cmd->add_flag("--pledge-approved,!--no-pledge-approved", f->pledge,
                                   "approved for commercial-reserve pledges");
  cmd->add_option("--capacity", f->capacities,
                  "capacity per metal as METAL=TONNES, e.g. CU=50000 (repeatable)");
  if (create) {
    name->required();
    province->required();
    op->required();
    kind->required();
  }
}

// Applies the flags given to `depot` (update keeps what is not given).
absl::Status ApplyDepotFlags(const DepotFlags& f, v1::Depot* depot) {
  depot->set_depot_id(f.id);
  if (!f.name.empty()) depot->set_name(f.name);
  if (!f.province.empty()) depot->set_province(f.province);
  if (!f.operator_name.empty()) depot->set_operator_name(f.operator_name);
  if (!f.kind.empty()) {
    absl::StatusOr<v1::DepotKind> kind = kit::EnumFlag<v1::DepotKind>("--kind", f.kind);
    if (!kind.ok()) return kind.status();
    depot->set_kind(*kind);
  }
  if (f.pledge_option != nullptr && f.pledge_option->count() > 0) {
    depot->set_approved_for_pledge(f.pledge);
  }
  for (const std::string& c : f.capacities) {
    std::pair<std::string, std::string> kv = absl::StrSplit(c, absl::MaxSplits('=', 1));
    absl::StatusOr<int64_t> g = TonnesToGrams(kv.second);
    if (kv.first.empty() || !g.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--capacity wants METAL=TONNES, got '", c, "'"));
    }
    (*depot->mutable_capacity_g())[absl::AsciiStrToUpper(kv.first)] = *g;
  }
  return absl::OkStatus();
}

void AddDepots(CLI::App& app, Action* chosen) {
  CLI::App* depots = app.add_subcommand("depots", "Depots: state depots and warehouses");
  depots->require_subcommand(1);

  auto page = std::make_shared<PageFlags>();
  kit::AddPageFlags(Leaf(depots, "list", "List depots", chosen,
                         [page](Session& s) {
                           auto r =
                               kit::ListPages(s, &Stub::ListDepots, v1::ListDepotsRequest(), *page);
                           if (!r.ok()) return s.Fail(r.status());
                           return s.Print(*r, MakeTable(DepotColumns(), r->depots()),
                                          {false, MoreLine(r->next_page_token())});
                         }),
                    page.get());

  using G = v1::GetDepotResponse;
  kit::ShowLeaf(depots, "get", "Show one depot with its free capacity", chosen, &Stub::GetDepot,
                &v1::GetDepotRequest::mutable_depot_id, "depot_id", "depot id",
                Concat(Nested<G>(DepotColumns(), &G::depot),
                       {{"free", [](const G& g) { return TonnesMap(g.free_capacity_g()); }}}));

  auto cf = std::make_shared<DepotFlags>();
  AddDepotFlags(Leaf(depots, "create", "Create a depot (admin)", chosen,
                     [cf](Session& s) {
                       v1::CreateDepotRequest req;
                       if (auto st = kit::ApplyMutationFlags(cf->m, &req); !st.ok()) {
                         return s.Usage(st.message());
                       }
                       if (auto st = ApplyDepotFlags(*cf, req.mutable_depot()); !st.ok()) {
                         return s.Usage(st.message());
                       }
                       auto r = kit::Call(s, &Stub::CreateDepot, req);
                       if (!r.ok()) return s.Fail(r.status());
                       return s.Print(*r, MakeTable(DepotColumns(), r->depot()),
                                      {true, CommitLine(r->commit())});
                     }),
                cf.get(), true);

  auto uf = std::make_shared<DepotFlags>();
  AddDepotFlags(
      Leaf(depots, "update",
           "Change a depot (admin): reads it, applies the flags given, writes every field", chosen,
           [uf](Session& s) {
             v1::GetDepotRequest get;
             get.set_depot_id(uf->id);
             auto current = kit::Call(s, &Stub::GetDepot, get);
             if (!current.ok()) return s.Fail(current.status());
             v1::UpdateDepotRequest req;
             if (auto st = kit::ApplyMutationFlags(uf->m, &req); !st.ok())
               return s.Usage(st.message());
             *req.mutable_depot() = current->depot();
             if (auto st = ApplyDepotFlags(*uf, req.mutable_depot()); !st.ok()) {
               return s.Usage(st.message());
             }
             auto r = kit::Call(s, &Stub::UpdateDepot, req);
             if (!r.ok()) return s.Fail(r.status());
             return s.Print(*r, MakeTable(DepotColumns(), r->depot()),
                            {true, CommitLine(r->commit())});
           }),
      uf.get(), false);
}

// ---- lots ----

// Lot input from flags (one lot) or a CSV file (a batch), through the LotFields table.
struct LotInput {
  std::string file;
  std::map<std::string, std::string> flags;  // column -> text, bound to the flag options
};

void AddLotInputFlags(CLI::App* cmd, LotInput* in, const std::string& file_help) {
  cmd->add_option("--file", in->file, file_help);
  for (const LotField& f : LotFields()) {
    cmd->add_option(f.flag, in->flags[f.column], f.help);
  }
}

absl::StatusOr<std::vector<v1::Lot>> ReadLots(const LotInput& in, int default_year) {
  std::vector<v1::Lot> lots;
  bool any_flag = false;
  for (const auto& [column, text] : in.flags) any_flag |= !text.empty();
  if (!in.file.empty()) {
    if (any_flag) {
      return absl::InvalidArgumentError("give --file or lot flags, not both");
    }
    absl::StatusOr<std::string> text = kit::ReadInput(in.file);
    if (!text.ok()) return text.status();
    auto rows = ParseCsv(*text);
    if (!rows.ok())
      return absl::InvalidArgumentError(absl::StrCat(in.file, ": ", rows.status().message()));
    for (size_t i = 0; i < rows->size(); ++i) {
      absl::StatusOr<v1::Lot> lot = LotFromFields((*rows)[i], default_year);
      if (!lot.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(in.file, " row ", i + 1, ": ", lot.status().message()));
      }
      lots.push_back(*std::move(lot));
    }
    return lots;
  }
  if (!any_flag) return lots;
  absl::StatusOr<v1::Lot> lot = LotFromFields(in.flags, default_year);
  if (!lot.ok()) return lot.status();
  lots.push_back(*std::move(lot));
  return lots;
}

// Release lines as LOT_ID or LOT_ID=TONNES (a part of the lot).
absl::StatusOr<std::vector<v1::ReleaseLine>> ReadLines(const std::vector<std::string>& specs,
                                                       const std::string& flag) {
  std::vector<v1::ReleaseLine> lines;
  for (const std::string& spec : specs) {
    std::pair<std::string, std::string> kv = absl::StrSplit(spec, absl::MaxSplits('=', 1));
    v1::ReleaseLine line;
    line.set_lot_id(kv.first);
    if (!kv.second.empty()) {
      absl::StatusOr<int64_t> g = TonnesToGrams(kv.second);
      if (!g.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, " ", spec, ": ", g.status().message()));
      }
      line.set_mass_g(*g);
    }
    lines.push_back(line);
  }
  return lines;
}

void AddLotQueries(CLI::App* lots, Action* chosen) {
  struct ListFlags {
    PageFlags page;
    std::string metal, depot, province, reserve_class, owner, status, brand;
    int year_produced = 0;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = Leaf(lots, "list", "Search lots", chosen, [lf](Session& s) {
    v1::ListLotsRequest req;
    req.set_metal(absl::AsciiStrToUpper(lf->metal));
    req.set_depot_id(lf->depot);
    req.set_province(lf->province);
    req.set_owner(lf->owner);
    req.set_brand(lf->brand);
    req.set_year_produced(lf->year_produced);
    if (!lf->reserve_class.empty()) {
      auto v = kit::EnumFlag<v1::ReserveClass>("--class", lf->reserve_class);
      if (!v.ok()) return s.Usage(v.status().message());
      req.set_reserve_class(*v);
    }
    if (!lf->status.empty()) {
      auto v = kit::EnumFlag<v1::LotStatus>("--status", lf->status);
      if (!v.ok()) return s.Usage(v.status().message());
      req.set_status(*v);
    }
    auto r = kit::ListPages(s, &Stub::ListLots, req, lf->page);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(LotColumns(), r->lots()), {false, MoreLine(r->next_page_token())});
  });
  kit::AddPageFlags(list, &lf->page);
  list->add_option("--metal", lf->metal, "metal code");
  list->add_option("--depot", lf->depot, "depot id");
  list->add_option("--province", lf->province, "province of the depot");
  list->add_option("--class", lf->reserve_class, EnumChoices(v1::ReserveClass_descriptor()));
  list->add_option("--owner", lf->owner, "owner id");
  list->add_option("--status", lf->status, EnumChoices(v1::LotStatus_descriptor()));
  list->add_option("--brand", lf->brand, "brand");
  list->add_option("--year-produced", lf->year_produced, "year produced");

  kit::ShowLeaf(lots, "get", "Show every field of one lot", chosen, &Stub::GetLot,
                &v1::GetLotRequest::mutable_lot_id, "lot_id", "lot id", LotDetailColumns());

  auto hid = std::make_shared<std::string>();
  Leaf(lots, "history", "Every transaction that changed a lot, oldest first", chosen,
       [hid](Session& s) {
         v1::GetLotHistoryRequest req;
         req.set_lot_id(*hid);
         auto r = kit::Call(s, &Stub::GetLotHistory, req);
         if (!r.ok()) return s.Fail(r.status());
         return s.Print(*r, MakeTable(LotEventColumns(), r->events()));
       })
      ->add_option("lot_id", *hid, "lot id")
      ->required();
}

void AddLotMovements(CLI::App* lots, Action* chosen) {
  struct AcquireFlags {
    MutationFlags m;
    LotInput lots;
    std::string order_id, memo;
  };
  auto af = std::make_shared<AcquireFlags>();
  CLI::App* acquire = Leaf(
      lots, "acquire",
      "Record an acquisition (admin): one lot from flags, or a batch of up to 1,000 from --file",
      chosen, [af](Session& s) {
        v1::AcquireLotsRequest req;
        if (auto st = kit::ApplyMutationFlags(af->m, &req); !st.ok()) return s.Usage(st.message());
        auto lots = ReadLots(af->lots, BusinessYear(af->m));
        if (!lots.ok()) return s.Usage(lots.status().message());
        if (lots->empty()) return s.Usage("no lot given: use --file or the lot flags");
        for (v1::Lot& l : *lots) *req.add_lots() = std::move(l);
        req.set_order_id(af->order_id);
        req.set_memo(af->memo);
        auto r = kit::Call(s, &Stub::AcquireLots, req);
        if (!r.ok()) return s.Fail(r.status());
        Columns<std::string> cols = {{"lot_id", [](const std::string& x) { return x; }}};
        return s.Print(*r, MakeTable(cols, r->lot_ids()), {false, CommitLine(r->commit())});
      });
  kit::AddMutationFlags(acquire, &af->m);
  AddLotInputFlags(acquire, &af->lots,
                   "CSV batch with a header of lot columns (lot_id,metal,grade,brand,form,pieces,"
                   "net_mass_t|net_mass_g,depot_id,year_produced,cost|cost_minor,reserve_class,"
                   "owner,...)");
  acquire->add_option("--order-id", af->order_id, "the approved order this executes");
  acquire->add_option("--memo", af->memo, "free text kept in the journal");

  struct DispatchFlags {
    MutationFlags m;
    std::string lot, to;
  };
  auto df = std::make_shared<DispatchFlags>();
  CLI::App* dispatch =
      Leaf(lots, "dispatch", "Transfer step 1 (admin): the lot leaves for another depot", chosen,
           [df](Session& s) {
             v1::DispatchLotRequest req;
             if (auto st = kit::ApplyMutationFlags(df->m, &req); !st.ok())
               return s.Usage(st.message());
             req.set_lot_id(df->lot);
             req.set_to_depot_id(df->to);
             auto r = kit::Call(s, &Stub::DispatchLot, req);
             if (!r.ok()) return s.Fail(r.status());
             return s.Print(*r, MakeTable(LotDetailColumns(), r->lot()),
                            {true, CommitLine(r->commit())});
           });
  kit::AddMutationFlags(dispatch, &df->m);
  dispatch->add_option("lot_id", df->lot, "lot id")->required();
  dispatch->add_option("--to", df->to, "destination depot id")->required();

  struct ReceiveFlags {
    MutationFlags m;
    std::string lot, location;
  };
  auto rf = std::make_shared<ReceiveFlags>();
  CLI::App* receive =
      Leaf(lots, "receive", "Transfer step 2 (admin): the lot arrives at its destination", chosen,
           [rf](Session& s) {
             v1::ReceiveLotRequest req;
             if (auto st = kit::ApplyMutationFlags(rf->m, &req); !st.ok())
               return s.Usage(st.message());
             req.set_lot_id(rf->lot);
             req.set_location(rf->location);
             auto r = kit::Call(s, &Stub::ReceiveLot, req);
             if (!r.ok()) return s.Fail(r.status());
             return s.Print(*r, MakeTable(LotDetailColumns(), r->lot()),
                            {true, CommitLine(r->commit())});
           });
  kit::AddMutationFlags(receive, &rf->m);
  receive->add_option("lot_id", rf->lot, "lot id")->required();
  receive->add_option("--location", rf->location, "place inside the destination depot");

  struct ReleaseFlags {
    MutationFlags m;
    std::vector<std::string> lines;
    std::string buyer, reference, order_id, memo;
  };
  auto lf = std::make_shared<ReleaseFlags>();
  CLI::App* release =
      Leaf(lots, "release", "Deliver lots out to a buyer (admin)", chosen, [lf](Session& s) {
        v1::ReleaseLotsRequest req;
        if (auto st = kit::ApplyMutationFlags(lf->m, &req); !st.ok()) return s.Usage(st.message());
        auto lines = ReadLines(lf->lines, "--lot");
        if (!lines.ok()) return s.Usage(lines.status().message());
        for (const v1::ReleaseLine& l : *lines) *req.add_lines() = l;
        req.set_buyer(lf->buyer);
        req.set_reference(lf->reference);
        req.set_order_id(lf->order_id);
        req.set_memo(lf->memo);
        auto r = kit::Call(s, &Stub::ReleaseLots, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(LotColumns(), r->lots()),
                       {false, absl::StrCat("released ", Tonnes(r->released_mass_g()), " t; ",
                                            CommitLine(r->commit()))});
      });
  kit::AddMutationFlags(release, &lf->m);
  release->add_option("--lot", lf->lines, "LOT_ID (whole lot) or LOT_ID=TONNES (repeatable)")
      ->required();
  release->add_option("--buyer", lf->buyer, "who receives the metal")->required();
  release->add_option("--reference", lf->reference, "the sale, auction or award")->required();
  release->add_option("--order-id", lf->order_id, "the approved order this executes");
  release->add_option("--memo", lf->memo, "free text kept in the journal");

  struct RotateFlags {
    MutationFlags m;
    std::vector<std::string> lines;
    std::string buyer, reference, memo, release_order_id, acquire_order_id;
    LotInput lots;
  };
  auto tf = std::make_shared<RotateFlags>();
  CLI::App* rotate =
      Leaf(lots, "rotate", "Release old stock and acquire new stock in one transaction (admin)",
           chosen, [tf](Session& s) {
             v1::RotateLotsRequest req;
             if (auto st = kit::ApplyMutationFlags(tf->m, &req); !st.ok())
               return s.Usage(st.message());
             auto lines = ReadLines(tf->lines, "--release");
             if (!lines.ok()) return s.Usage(lines.status().message());
             for (const v1::ReleaseLine& l : *lines) *req.add_release_lines() = l;
             auto lots = ReadLots(tf->lots, BusinessYear(tf->m));
             if (!lots.ok()) return s.Usage(lots.status().message());
             if (lots->empty()) return s.Usage("no new lot given: use --file or the lot flags");
             for (v1::Lot& l : *lots) *req.add_acquire_lots() = std::move(l);
             req.set_buyer(tf->buyer);
             req.set_reference(tf->reference);
             req.set_memo(tf->memo);
             req.set_release_order_id(tf->release_order_id);
             req.set_acquire_order_id(tf->acquire_order_id);
             auto r = kit::Call(s, &Stub::RotateLots, req);
             if (!r.ok()) return s.Fail(r.status());
             return s.Print(
                 *r, MakeTable(LotColumns(), r->released_lots()),
                 {false, absl::StrCat("released ", Tonnes(r->released_mass_g()), " t; acquired ",
                                      absl::StrJoin(r->acquired_lot_ids(), ", "), "; ",
                                      CommitLine(r->commit()))});
           });
  kit::AddMutationFlags(rotate, &tf->m);
  rotate->add_option("--release", tf->lines, "old lot: LOT_ID or LOT_ID=TONNES (repeatable)")
      ->required();
  rotate->add_option("--buyer", tf->buyer, "who receives the old metal")->required();
  rotate->add_option("--reference", tf->reference, "the sale or award")->required();
  rotate->add_option("--memo", tf->memo, "free text kept in the journal");
  rotate->add_option("--release-order-id", tf->release_order_id,
                     "the approved release order the release executes");
  rotate->add_option("--acquire-order-id", tf->acquire_order_id,
                     "the approved acquisition order the purchase executes");
  AddLotInputFlags(rotate, &tf->lots, "CSV of the new lots (same columns as lots acquire)");
}

// ---- stock counts ----

void AddCounts(CLI::App& app, Action* chosen) {
  CLI::App* counts = app.add_subcommand("counts", "Stock counts against book mass");
  counts->require_subcommand(1);

  struct RecordFlags {
    MutationFlags m;
    std::string lot, reason;
    kit::MassFlags counted;
  };
  auto rf = std::make_shared<RecordFlags>();
  CLI::App* record = Leaf(
      counts, "record",
      "Record a count (admin); beyond tolerance it waits for an approver. The request id "
      "becomes the count id",
      chosen, [rf](Session& s) {
        v1::RecordStockCountRequest req;
        if (auto st = kit::ApplyMutationFlags(rf->m, &req); !st.ok()) return s.Usage(st.message());
        if (rf->counted.grams == 0 && rf->counted.tonnes.empty()) {
          return s.Usage("--counted-mass-g or --counted-mass-t is required");
        }
        auto g = kit::MassValue(rf->counted);
        if (!g.ok()) return s.Usage(g.status().message());
        req.set_lot_id(rf->lot);
        req.set_counted_mass_g(*g);
        req.set_reason(rf->reason);
        auto r = kit::Call(s, &Stub::RecordStockCount, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(CountColumns(), r->count()), {true, CommitLine(r->commit())});
      });
  kit::AddMutationFlags(record, &rf->m);
  record->add_option("lot_id", rf->lot, "lot id")->required();
  kit::AddMassFlags(record, "counted-mass", "counted mass", &rf->counted);
  record->add_option("--reason", rf->reason, "why the count differs (kept with the posting)");

  struct DecideFlags {
    MutationFlags m;
    std::string count_id;
    bool approve = false;
    bool reject = false;
  };
  auto df = std::make_shared<DecideFlags>();
  CLI::App* decide = Leaf(
      counts, "decide", "Approve or reject a pending count (approver, not the counter)", chosen,
      [df](Session& s) {
        v1::DecideStockCountRequest req;
        if (auto st = kit::ApplyMutationFlags(df->m, &req); !st.ok()) return s.Usage(st.message());
        if (df->approve == df->reject) return s.Usage("give exactly one of --approve, --reject");
        req.set_count_id(df->count_id);
        req.set_approve(df->approve);
        auto r = kit::Call(s, &Stub::DecideStockCount, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(CountColumns(), r->count()), {true, CommitLine(r->commit())});
      });
  kit::AddMutationFlags(decide, &df->m);
  decide->add_option("count_id", df->count_id, "count id")->required();
  decide->add_flag("--approve", df->approve, "post the difference");
  decide->add_flag("--reject", df->reject, "refuse it; nothing is posted");

  kit::ShowLeaf(counts, "get", "Show one stock count", chosen, &Stub::GetStockCount,
                &v1::GetStockCountRequest::mutable_count_id, "count_id", "count id",
                CountColumns());
}

// ---- holdings, valuation, cover ----

struct GroupFlags {
  std::vector<std::string> group_by;
  std::string as_of;
  std::string metal;
};

void AddGroupFlags(CLI::App* cmd, GroupFlags* f) {
  cmd->add_option("--group-by", f->group_by,
                  "keys besides metal: depot,province,class,owner (comma list)")
      ->delimiter(',');
  cmd->add_option("--as-of", f->as_of, "as of this business date YYYY-MM-DD (default: now)");
  cmd->add_option("--metal", f->metal, "only this metal");
}

absl::StatusOr<std::vector<v1::HoldingsGroupKey>> GroupKeys(const GroupFlags& f) {
  std::vector<v1::HoldingsGroupKey> keys;
  for (const std::string& k : f.group_by) {
    std::string name = absl::AsciiStrToLower(k);
    if (name == "class") name = "reserve_class";
    auto v = kit::EnumFlag<v1::HoldingsGroupKey>("--group-by", name);
    if (!v.ok()) return v.status();
    keys.push_back(*v);
  }
  return keys;
}

template <typename Req>
absl::Status ApplyGroupFlags(const GroupFlags& f, const std::vector<v1::HoldingsGroupKey>& keys,
                             Req* req) {
  for (v1::HoldingsGroupKey k : keys) req->add_group_by(k);
  req->set_metal(absl::AsciiStrToUpper(f.metal));
  if (!f.as_of.empty()) {
    absl::StatusOr<v1::Date> d = kit::DateFlag("--as-of", f.as_of);
    if (!d.ok()) return d.status();
    *req->mutable_as_of_date() = *d;
  }
  return absl::OkStatus();
}

void AddQueries(CLI::App& app, Action* chosen) {
  auto hf = std::make_shared<GroupFlags>();
  AddGroupFlags(
      Leaf(&app, "holdings", "Metal held, grouped by metal and the keys you choose", chosen,
           [hf](Session& s) {
             auto keys = GroupKeys(*hf);
             if (!keys.ok()) return s.Usage(keys.status().message());
             v1::GetHoldingsRequest req;
             if (auto st = ApplyGroupFlags(*hf, *keys, &req); !st.ok()) {
               return s.Usage(st.message());
             }
             auto r = kit::Call(s, &Stub::GetHoldings, req);
             if (!r.ok()) return s.Fail(r.status());
             return s.Print(*r, MakeTable(HoldingColumns(*keys), r->rows()),
                            {false, absl::StrCat("as of journal seq ", r->as_of_seq())});
           }),
      hf.get());

  auto vf = std::make_shared<GroupFlags>();
  AddGroupFlags(
      Leaf(&app, "valuation",
           "Book cost, market value at the latest price mark, unrealised gain or loss", chosen,
           [vf](Session& s) {
             auto keys = GroupKeys(*vf);
             if (!keys.ok()) return s.Usage(keys.status().message());
             v1::GetValuationRequest req;
             if (auto st = ApplyGroupFlags(*vf, *keys, &req); !st.ok()) {
               return s.Usage(st.message());
             }
             auto r = kit::Call(s, &Stub::GetValuation, req);
             if (!r.ok()) return s.Fail(r.status());
             return s.Print(*r, MakeTable(ValuationColumns(*keys), r->rows()));
           }),
      vf.get());

  struct CoverFlags {
    std::string metal;
    std::string t_per_year;
    int64_t g_per_day = 0;
  };
  auto cf = std::make_shared<CoverFlags>();
  CLI::App* cover = Leaf(
      &app, "cover", "Days of cover: how long the metal held lasts at a consumption rate", chosen,
      [cf](Session& s) {
        v1::GetDaysOfCoverRequest req;
        req.set_metal(absl::AsciiStrToUpper(cf->metal));
        int64_t g_per_day = cf->g_per_day;
        if (!cf->t_per_year.empty()) {
          auto g_per_year = kit::TonnesFlag("--consumption-t-per-year", cf->t_per_year);
          if (!g_per_year.ok()) return s.Usage(g_per_year.status().message());
          // One rounding rule: reserve::MulDiv, half away from zero.
          g_per_day = MulDiv(*g_per_year, 1, kDaysPerYear).value_or(0);
        }
        if (g_per_day <= 0) {
          return s.Usage("--consumption-t-per-year or --consumption-g-per-day must be positive");
        }
        req.set_consumption_g_per_day(g_per_day);
        auto r = kit::Call(s, &Stub::GetDaysOfCover, req);
        if (!r.ok()) return s.Fail(r.status());
        using R = v1::GetDaysOfCoverResponse;
        const std::string metal = req.metal();
        Columns<R> cols = {
            {"metal", [metal](const R&) { return metal; }},
            {"held_t", [](const R& x) { return Tonnes(x.held_g()); }, Align::kRight},
            {"consumption_t_per_day", [](const R& x) { return Tonnes(x.consumption_g_per_day()); },
             Align::kRight},
            {"whole_days", [](const R& x) { return absl::StrCat(x.whole_days()); }, Align::kRight},
            {"days", [](const R& x) { return absl::StrFormat("%.1f", x.days()); }, Align::kRight},
        };
        return s.Print(*r, MakeTable(cols, *r));
      });
  cover->add_option("--metal", cf->metal, "metal code")->required();
  CLI::Option* t = cover->add_option("--consumption-t-per-year", cf->t_per_year,
                                     "consumption in tonnes per year (exact decimal; /365)");
  cover->add_option("--consumption-g-per-day", cf->g_per_day, "consumption in grams per day")
      ->excludes(t);
}

// ---- price marks ----

void AddPrices(CLI::App& app, Action* chosen) {
  CLI::App* prices = app.add_subcommand("prices", "Price marks per metal and date");
  prices->require_subcommand(1);

  struct AddFlags {
    MutationFlags m;
    std::string metal, date, price, currency = "CNY", source;
    int64_t price_minor = 0;
  };
  auto af = std::make_shared<AddFlags>();
  CLI::App* add =
      Leaf(prices, "add", "Add (or replace) one price mark (admin)", chosen, [af](Session& s) {
        v1::AddPriceMarksRequest req;
        if (auto st = kit::ApplyMutationFlags(af->m, &req); !st.ok()) return s.Usage(st.message());
        v1::PriceMark* mark = req.add_marks();
        mark->set_metal(absl::AsciiStrToUpper(af->metal));
        absl::StatusOr<v1::Date> d = kit::DateFlag("--date", af->date);
        if (!d.ok()) return s.Usage(d.status().message());
        *mark->mutable_date() = *d;
        int64_t minor = af->price_minor;
        if (!af->price.empty()) {
          absl::StatusOr<int64_t> p = kit::MoneyFlag("--price-per-t", af->price);
          if (!p.ok()) return s.Usage(p.status().message());
          minor = *p;
        }
        mark->set_price_minor_per_t(minor);
        mark->set_currency(af->currency);
        mark->set_source(af->source);
        auto r = kit::Call(s, &Stub::AddPriceMarks, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(PriceColumns(), req.marks()),
                       {false, CommitLine(r->commit())});
      });
  kit::AddMutationFlags(add, &af->m, false);
  add->add_option("--metal", af->metal, "metal code")->required();
  add->add_option("--date", af->date, "date of the mark YYYY-MM-DD")->required();
  CLI::Option* major = add->add_option("--price-per-t", af->price,
                                       "price per tonne in major units (exact, up to 2 decimals)");
  add->add_option("--price-minor-per-t", af->price_minor, "price per tonne in minor units (fen)")
      ->excludes(major);
  add->add_option("--currency", af->currency, "currency (default CNY)");
  add->add_option("--source", af->source, "where the price comes from")->required();

  struct ImportFlags {
    MutationFlags m;
    std::string file;
  };
  auto imf = std::make_shared<ImportFlags>();
  CLI::App* import = Leaf(
      prices, "import",
      "Import marks from CSV with columns metal,date,price_minor_per_t,currency,source (admin)",
      chosen, [imf](Session& s) {
        v1::ImportPriceMarksRequest req;
        if (auto st = kit::ApplyMutationFlags(imf->m, &req); !st.ok()) return s.Usage(st.message());
        absl::StatusOr<std::string> text = kit::ReadInput(imf->file);
        if (!text.ok()) return s.Usage(text.status().message());
        req.set_csv(*text);
        auto r = kit::Call(s, &Stub::ImportPriceMarks, req);
        if (!r.ok()) return s.Fail(r.status());
        using R = v1::AddPriceMarksResponse;
        Columns<R> cols = {
            {"imported", [](const R& x) { return absl::StrCat(x.count()); }, Align::kRight},
            {"seq", [](const R& x) { return absl::StrCat(x.commit().seq()); }, Align::kRight},
            {"replayed", [](const R& x) { return Bool(x.commit().replayed()); }},
        };
        return s.Print(*r, MakeTable(cols, *r));
      });
  kit::AddMutationFlags(import, &imf->m, false);
  import->add_option("--file", imf->file, "the CSV file")->required();

  struct ListFlags {
    std::string metal, from, to;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = Leaf(
      prices, "list", "List marks of one metal, oldest first (at most 1,000)", chosen,
      [lf](Session& s) {
        v1::ListPriceMarksRequest req;
        req.set_metal(absl::AsciiStrToUpper(lf->metal));
        for (auto [text, field, name] : {std::tuple{&lf->from, req.mutable_from_date(), "--from"},
                                         std::tuple{&lf->to, req.mutable_to_date(), "--to"}}) {
          if (text->empty()) continue;
          absl::StatusOr<v1::Date> d = kit::DateFlag(name, *text);
          if (!d.ok()) return s.Usage(d.status().message());
          *field = *d;
        }
        if (lf->from.empty()) req.clear_from_date();
        if (lf->to.empty()) req.clear_to_date();
        auto r = kit::Call(s, &Stub::ListPriceMarks, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(PriceColumns(), r->marks()));
      });
  list->add_option("--metal", lf->metal, "metal code")->required();
  list->add_option("--from", lf->from, "first date YYYY-MM-DD");
  list->add_option("--to", lf->to, "last date YYYY-MM-DD");
}

}  // namespace

void AddCommands(CLI::App& app, Session& session, Action* chosen) {
  AddWhoAmI(app, chosen);
  AddMetals(app, chosen);
  AddDepots(app, chosen);
  CLI::App* lots = app.add_subcommand("lots", "Lots: search, history and every movement");
  lots->require_subcommand(1);
  AddLotQueries(lots, chosen);
  AddLotMovements(lots, chosen);
  AddCounts(app, chosen);
  AddQueries(app, chosen);
  AddPrices(app, chosen);
  AddDecisionCommands(app, chosen);
  AddAuctionCommands(app, chosen);
  AddCommercialCommands(app, chosen);
  AddFinancingCommands(app, chosen);
  AddDemoCommands(app, chosen);
}

int Main(int argc, char** argv) {
  Session session;
  CLI::App app{
      "reservectl: the strategic metal reserve's command-line client (InventoryService and "
      "DecisionService over gRPC).\n"
      "Exit status: 0 ok, 1 refused or failed by the server, 2 usage error.",
      "reservectl"};
  app.fallthrough();  // global flags may follow the subcommand
  app.require_subcommand(1);
  app.add_option("--address", session.global.address, "server HOST:PORT")
      ->envname("RESERVE_ADDRESS")
      ->capture_default_str();
  // Precedence: --token, then --token-file, then $RESERVE_TOKEN (Connection::Open).
  app.add_option("--token", session.global.token, "bearer token (default: $RESERVE_TOKEN)");
  app.add_option("--token-file", session.global.token_file, "file holding the bearer token");
  app.add_option("--ca", session.global.ca, "PEM roots to verify the server (TLS)");
  app.add_option("--cert", session.global.cert, "PEM client certificate (mutual TLS)");
  app.add_option("--key", session.global.key, "PEM client key (mutual TLS)");
  app.add_option("--output,-o", session.global.output, "table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  app.add_option("--timeout-s", session.global.timeout_s, "deadline per call in seconds")
      ->capture_default_str();

  Action chosen;
  AddCommands(app, session, &chosen);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help or the parse error
    return code == 0 ? kExitOk : kExitUsage;
  }
  absl::StatusOr<Format> format = ParseFormat(session.global.output);
  if (!format.ok()) return session.Usage(format.status().message());
  session.format = *format;
  if (!chosen) return session.Usage("choose a command");
  return chosen(session);
}

}  // namespace reserve::ctl
