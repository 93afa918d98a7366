#include "clients/reservectl/commands.h"

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/reservectl/commercial_commands.h"
#include "clients/reservectl/csv.h"
#include "clients/reservectl/decimal.h"
#include "clients/reservectl/decision_commands.h"
#include "clients/reservectl/demo.h"
#include "storage/exact.h"
#include "clients/reservectl/lot_fields.h"

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

namespace {

using Stub = v1::InventoryService::Stub;
template <typename Req, typename Resp>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Req&, Resp*);

// Bounds `--all`: 10,000 pages of up to 1,000 rows is far beyond any real store.
constexpr int kMaxPagesFollowed = 10'000;
// Batch files are read whole; anything larger than this is not a batch of 1,000 lots.
constexpr size_t kMaxInputFileBytes = 64 * 1024 * 1024;
constexpr int kDaysPerYear = 365;

template <typename Req, typename Resp>
absl::StatusOr<Resp> Inventory(Session& s, Method<Req, Resp> method, const Req& request) {
  absl::StatusOr<Connection*> c = s.connection();
  if (!c.ok()) {
    return c.status();
  }
  Resp response;
  if (absl::Status status = (*c)->Call((*c)->inventory(), method, request, &response);
      !status.ok()) {
    return status;
  }
  return response;
}

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > kMaxInputFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is larger than ", kMaxInputFileBytes, " bytes"));
  }
  return text;
}

std::string CommitLine(const v1::CommitInfo& commit) {
  if (commit.replayed()) {
    return absl::StrCat("replayed: seq ", commit.seq(),
                        " (an earlier request with this id; nothing new was written)");
  }
  return absl::StrCat("committed: seq ", commit.seq());
}

int CurrentYear() { return absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year(); }

// Leaf registration: the callback records the body to run after parsing.
CLI::App* Leaf(CLI::App* parent, const std::string& name, const std::string& description,
               Action* chosen, Action action) {
  CLI::App* leaf = parent->add_subcommand(name, description);
  leaf->callback([chosen, action = std::move(action)] { *chosen = action; });
  return leaf;
}

// Flags every mutation takes.
struct MutationFlags {
  std::string request_id;
  std::string date;
};

// `with_date`: the request has a business date (catalog and depot changes do not).
void AddMutationFlags(CLI::App* cmd, MutationFlags* flags, bool with_date = true) {
  cmd->add_option("--request-id", flags->request_id,
                  "idempotency key; repeat it to retry safely (default: a fresh random id)");
  if (with_date) {
    cmd->add_option("--date", flags->date, "business (effective) date YYYY-MM-DD (default: today)");
  }
}

// Fills request_id and business_date; a usage error message on a bad date.
template <typename Req>
absl::Status ApplyMutationFlags(const MutationFlags& flags, Req* request) {
  request->set_request_id(flags.request_id.empty() ? NewRequestId() : flags.request_id);
  if constexpr (requires { request->mutable_business_date(); }) {
    if (!flags.date.empty()) {
      absl::StatusOr<v1::Date> date = ParseDate(flags.date);
      if (!date.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--date: ", date.status().message()));
      }
      *request->mutable_business_date() = *date;
    }
  }
  return absl::OkStatus();
}

int BusinessYear(const MutationFlags& flags) {
  absl::StatusOr<v1::Date> date = ParseDate(flags.date);
  return date.ok() ? date->year() : CurrentYear();
}

// Reads one quantity given either in grams or as exact decimal tonnes.
struct MassFlags {
  int64_t grams = 0;
  std::string tonnes;
};

void AddMassFlags(CLI::App* cmd, const std::string& stem, const std::string& what,
                  MassFlags* flags) {
  CLI::Option* g = cmd->add_option("--" + stem + "-g", flags->grams, what + " in grams");
  CLI::Option* t = cmd->add_option("--" + stem + "-t", flags->tonnes,
                                   what + " in tonnes (exact decimal, up to 6 decimals)");
  g->excludes(t);
}

absl::StatusOr<int64_t> MassValue(const MassFlags& flags, const std::string& stem) {
  if (!flags.tonnes.empty()) {
    absl::StatusOr<int64_t> g = TonnesToGrams(flags.tonnes);
    if (!g.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", stem, "-t: ", g.status().message()));
    }
    return *g;
  }
  return flags.grams;
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
  static const Columns<v1::Lot> c = [] {
    Columns<v1::Lot> all = LotColumns();
    Columns<v1::Lot> more = {
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
    };
    all.insert(all.end(), more.begin(), more.end());
    return all;
  }();
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
  Columns<V> c;
  for (const Column<v1::HoldingRow>& h : HoldingColumns(keys)) {
    c.push_back({h.header, [cell = h.cell](const V& v) { return cell(v.holding()); }, h.align});
  }
  Columns<V> money = {
      {"currency", [](const V& v) { return v.currency(); }},
      {"book_cost", [](const V& v) { return Money(v.book_cost_minor()); }, Align::kRight},
      {"price_date", [](const V& v) { return v.priced() ? FormatDate(v.price_date()) : "-"; }},
      {"price_per_t", [](const V& v) { return v.priced() ? Money(v.price_minor_per_t()) : "-"; },
       Align::kRight},
      {"market_value", [](const V& v) { return v.priced() ? Money(v.market_value_minor()) : "-"; },
       Align::kRight},
      {"unrealised", [](const V& v) { return v.priced() ? Money(v.unrealised_gain_minor()) : "-"; },
       Align::kRight},
  };
  c.insert(c.end(), money.begin(), money.end());
  return c;
}

// ---- Paging ----

struct PageFlags {
  int page_size = 0;
  std::string page_token;
  bool all = false;
};

void AddPageFlags(CLI::App* cmd, PageFlags* flags) {
  cmd->add_option("--page-size", flags->page_size, "rows per page (server default 100, max 1000)");
  cmd->add_option("--page-token", flags->page_token, "continue from this token");
  cmd->add_flag("--all", flags->all, "follow page tokens and print every row");
}

// Calls a paged List method, following tokens with --all; the pages merged into one response.
template <typename Req, typename Resp>
absl::StatusOr<Resp> ListPages(Session& s, Method<Req, Resp> method, Req request,
                               const PageFlags& flags) {
  request.set_page_size(flags.page_size);
  request.set_page_token(flags.page_token);
  Resp merged;
  for (int page = 0; page < kMaxPagesFollowed; ++page) {
    absl::StatusOr<Resp> r = Inventory(s, method, request);
    if (!r.ok()) return r.status();
    const std::string next = r->next_page_token();
    merged.MergeFrom(*r);
    merged.set_next_page_token(next);
    if (!flags.all || next.empty()) break;
    request.set_page_token(next);
  }
  return merged;
}

std::string MoreLine(const std::string& token) {
  return token.empty() ? "" : absl::StrCat("more: --page-token ", token);
}

// ---- whoami ----

void AddWhoAmI(CLI::App& app, Action* chosen) {
  Leaf(&app, "whoami", "Show the principal and roles the server sees for your credentials", chosen,
       [](Session& s) {
         absl::StatusOr<Connection*> c = s.connection();
         if (!c.ok()) return s.Fail(c.status());
         v1::Principal p;
         if (absl::Status st = (*c)->Call((*c)->identity(), &v1::IdentityService::Stub::WhoAmI,
                                          v1::WhoAmIRequest(), &p);
             !st.ok()) {
           return s.Fail(st);
         }
         Columns<v1::Principal> cols = {
             {"name", [](const v1::Principal& x) { return x.name(); }},
             {"roles", [](const v1::Principal& x) { return absl::StrJoin(x.roles(), ","); }},
         };
         Emit(s.format, p, MakeTable(cols, p), s.out);
         return kExitOk;
       });
}

// ---- metals ----

void AddMetals(CLI::App& app, Action* chosen) {
  CLI::App* metals = app.add_subcommand("metals", "The metals catalog: codes, names, grades");
  metals->require_subcommand(1);

  auto page = std::make_shared<PageFlags>();
  AddPageFlags(Leaf(metals, "list", "List metals and their grades", chosen,
                    [page](Session& s) {
                      auto r = ListPages(s, &Stub::ListMetals, v1::ListMetalsRequest(), *page);
                      if (!r.ok()) return s.Fail(r.status());
                      Emit(s.format, *r, MakeTable(MetalColumns(), r->metals()), s.out,
                           {false, MoreLine(r->next_page_token())});
                      return kExitOk;
                    }),
               page.get());

  auto code = std::make_shared<std::string>();
  Leaf(metals, "get", "Show one metal", chosen,
       [code](Session& s) {
         v1::GetMetalRequest req;
         req.set_code(absl::AsciiStrToUpper(*code));
         auto r = Inventory(s, &Stub::GetMetal, req);
         if (!r.ok()) return s.Fail(r.status());
         Emit(s.format, *r, MakeTable(MetalColumns(), *r), s.out, {true, ""});
         return kExitOk;
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
        if (auto st = ApplyMutationFlags(cf->m, &req); !st.ok()) {
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
        auto r = Inventory(s, &Stub::CreateMetal, req);
        if (!r.ok()) return s.Fail(r.status());
        Emit(s.format, *r, MakeTable(MetalColumns(), r->metal()), s.out,
             {true, CommitLine(r->commit())});
        return kExitOk;
      });
  AddMutationFlags(create, &cf->m, false);
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
        if (auto st = ApplyMutationFlags(gf->m, &req); !st.ok()) return s.Usage(st.message());
        req.set_metal(absl::AsciiStrToUpper(gf->metal));
        req.mutable_grade()->set_code(gf->code);
        req.mutable_grade()->set_standard(gf->standard);
        auto r = Inventory(s, &Stub::AddGrade, req);
        if (!r.ok()) return s.Fail(r.status());
        Emit(s.format, *r, MakeTable(MetalColumns(), r->metal()), s.out,
             {true, CommitLine(r->commit())});
        return kExitOk;
      });
  AddMutationFlags(add_grade, &gf->m, false);
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
  AddMutationFlags(cmd, &f->m, false);
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
    absl::StatusOr<int> kind = ParseEnum(v1::DepotKind_descriptor(), f.kind);
    if (!kind.ok())
      return absl::InvalidArgumentError(absl::StrCat("--kind: ", kind.status().message()));
    depot->set_kind(static_cast<v1::DepotKind>(*kind));
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
  AddPageFlags(Leaf(depots, "list", "List depots", chosen,
                    [page](Session& s) {
                      auto r = ListPages(s, &Stub::ListDepots, v1::ListDepotsRequest(), *page);
                      if (!r.ok()) return s.Fail(r.status());
                      Emit(s.format, *r, MakeTable(DepotColumns(), r->depots()), s.out,
                           {false, MoreLine(r->next_page_token())});
                      return kExitOk;
                    }),
               page.get());

  auto id = std::make_shared<std::string>();
  Leaf(depots, "get", "Show one depot with its free capacity", chosen,
       [id](Session& s) {
         v1::GetDepotRequest req;
         req.set_depot_id(*id);
         auto r = Inventory(s, &Stub::GetDepot, req);
         if (!r.ok()) return s.Fail(r.status());
         Columns<v1::GetDepotResponse> cols;
         for (const Column<v1::Depot>& c : DepotColumns()) {
           cols.push_back({c.header, [cell = c.cell](const v1::GetDepotResponse& g) {
                             return cell(g.depot());
                           }});
         }
         cols.push_back({"free", [](const v1::GetDepotResponse& g) {
                           return TonnesMap(g.free_capacity_g());
                         }});
         Emit(s.format, *r, MakeTable(cols, *r), s.out, {true, ""});
         return kExitOk;
       })
      ->add_option("depot_id", *id, "depot id")
      ->required();

  auto cf = std::make_shared<DepotFlags>();
  AddDepotFlags(Leaf(depots, "create", "Create a depot (admin)", chosen,
                     [cf](Session& s) {
                       v1::CreateDepotRequest req;
                       if (auto st = ApplyMutationFlags(cf->m, &req); !st.ok()) {
                         return s.Usage(st.message());
                       }
                       if (auto st = ApplyDepotFlags(*cf, req.mutable_depot()); !st.ok()) {
                         return s.Usage(st.message());
                       }
                       auto r = Inventory(s, &Stub::CreateDepot, req);
                       if (!r.ok()) return s.Fail(r.status());
                       Emit(s.format, *r, MakeTable(DepotColumns(), r->depot()), s.out,
                            {true, CommitLine(r->commit())});
                       return kExitOk;
                     }),
                cf.get(), true);

  auto uf = std::make_shared<DepotFlags>();
  AddDepotFlags(
      Leaf(depots, "update",
           "Change a depot (admin): reads it, applies the flags given, writes every field", chosen,
           [uf](Session& s) {
             v1::GetDepotRequest get;
             get.set_depot_id(uf->id);
             auto current = Inventory(s, &Stub::GetDepot, get);
             if (!current.ok()) return s.Fail(current.status());
             v1::UpdateDepotRequest req;
             if (auto st = ApplyMutationFlags(uf->m, &req); !st.ok()) return s.Usage(st.message());
             *req.mutable_depot() = current->depot();
             if (auto st = ApplyDepotFlags(*uf, req.mutable_depot()); !st.ok()) {
               return s.Usage(st.message());
             }
             auto r = Inventory(s, &Stub::UpdateDepot, req);
             if (!r.ok()) return s.Fail(r.status());
             Emit(s.format, *r, MakeTable(DepotColumns(), r->depot()), s.out,
                  {true, CommitLine(r->commit())});
             return kExitOk;
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
    absl::StatusOr<std::string> text = ReadInput(in.file);
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
      absl::StatusOr<int> v = ParseEnum(v1::ReserveClass_descriptor(), lf->reserve_class);
      if (!v.ok()) return s.Usage(absl::StrCat("--class: ", v.status().message()));
      req.set_reserve_class(static_cast<v1::ReserveClass>(*v));
    }
    if (!lf->status.empty()) {
      absl::StatusOr<int> v = ParseEnum(v1::LotStatus_descriptor(), lf->status);
      if (!v.ok()) return s.Usage(absl::StrCat("--status: ", v.status().message()));
      req.set_status(static_cast<v1::LotStatus>(*v));
    }
    auto r = ListPages(s, &Stub::ListLots, req, lf->page);
    if (!r.ok()) return s.Fail(r.status());
    Emit(s.format, *r, MakeTable(LotColumns(), r->lots()), s.out,
         {false, MoreLine(r->next_page_token())});
    return kExitOk;
  });
  AddPageFlags(list, &lf->page);
  list->add_option("--metal", lf->metal, "metal code");
  list->add_option("--depot", lf->depot, "depot id");
  list->add_option("--province", lf->province, "province of the depot");
  list->add_option("--class", lf->reserve_class, EnumChoices(v1::ReserveClass_descriptor()));
  list->add_option("--owner", lf->owner, "owner id");
  list->add_option("--status", lf->status, EnumChoices(v1::LotStatus_descriptor()));
  list->add_option("--brand", lf->brand, "brand");
  list->add_option("--year-produced", lf->year_produced, "year produced");

  auto id = std::make_shared<std::string>();
  Leaf(lots, "get", "Show every field of one lot", chosen,
       [id](Session& s) {
         v1::GetLotRequest req;
         req.set_lot_id(*id);
         auto r = Inventory(s, &Stub::GetLot, req);
         if (!r.ok()) return s.Fail(r.status());
         Emit(s.format, *r, MakeTable(LotDetailColumns(), *r), s.out, {true, ""});
         return kExitOk;
       })
      ->add_option("lot_id", *id, "lot id")
      ->required();

  auto hid = std::make_shared<std::string>();
  Leaf(lots, "history", "Every transaction that changed a lot, oldest first", chosen,
       [hid](Session& s) {
         v1::GetLotHistoryRequest req;
         req.set_lot_id(*hid);
         auto r = Inventory(s, &Stub::GetLotHistory, req);
         if (!r.ok()) return s.Fail(r.status());
         Emit(s.format, *r, MakeTable(LotEventColumns(), r->events()), s.out);
         return kExitOk;
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
        if (auto st = ApplyMutationFlags(af->m, &req); !st.ok()) return s.Usage(st.message());
        auto lots = ReadLots(af->lots, BusinessYear(af->m));
        if (!lots.ok()) return s.Usage(lots.status().message());
        if (lots->empty()) return s.Usage("no lot given: use --file or the lot flags");
        for (v1::Lot& l : *lots) *req.add_lots() = std::move(l);
        req.set_order_id(af->order_id);
        req.set_memo(af->memo);
        auto r = Inventory(s, &Stub::AcquireLots, req);
        if (!r.ok()) return s.Fail(r.status());
        Columns<std::string> cols = {{"lot_id", [](const std::string& x) { return x; }}};
        Emit(s.format, *r, MakeTable(cols, r->lot_ids()), s.out, {false, CommitLine(r->commit())});
        return kExitOk;
      });
  AddMutationFlags(acquire, &af->m);
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
             if (auto st = ApplyMutationFlags(df->m, &req); !st.ok()) return s.Usage(st.message());
             req.set_lot_id(df->lot);
             req.set_to_depot_id(df->to);
             auto r = Inventory(s, &Stub::DispatchLot, req);
             if (!r.ok()) return s.Fail(r.status());
             Emit(s.format, *r, MakeTable(LotDetailColumns(), r->lot()), s.out,
                  {true, CommitLine(r->commit())});
             return kExitOk;
           });
  AddMutationFlags(dispatch, &df->m);
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
             if (auto st = ApplyMutationFlags(rf->m, &req); !st.ok()) return s.Usage(st.message());
             req.set_lot_id(rf->lot);
             req.set_location(rf->location);
             auto r = Inventory(s, &Stub::ReceiveLot, req);
             if (!r.ok()) return s.Fail(r.status());
             Emit(s.format, *r, MakeTable(LotDetailColumns(), r->lot()), s.out,
                  {true, CommitLine(r->commit())});
             return kExitOk;
           });
  AddMutationFlags(receive, &rf->m);
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
        if (auto st = ApplyMutationFlags(lf->m, &req); !st.ok()) return s.Usage(st.message());
        auto lines = ReadLines(lf->lines, "--lot");
        if (!lines.ok()) return s.Usage(lines.status().message());
        for (const v1::ReleaseLine& l : *lines) *req.add_lines() = l;
        req.set_buyer(lf->buyer);
        req.set_reference(lf->reference);
        req.set_order_id(lf->order_id);
        req.set_memo(lf->memo);
        auto r = Inventory(s, &Stub::ReleaseLots, req);
        if (!r.ok()) return s.Fail(r.status());
        Emit(s.format, *r, MakeTable(LotColumns(), r->lots()), s.out,
             {false, absl::StrCat("released ", Tonnes(r->released_mass_g()), " t; ",
                                  CommitLine(r->commit()))});
        return kExitOk;
      });
  AddMutationFlags(release, &lf->m);
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
             if (auto st = ApplyMutationFlags(tf->m, &req); !st.ok()) return s.Usage(st.message());
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
             auto r = Inventory(s, &Stub::RotateLots, req);
             if (!r.ok()) return s.Fail(r.status());
             Emit(s.format, *r, MakeTable(LotColumns(), r->released_lots()), s.out,
                  {false, absl::StrCat("released ", Tonnes(r->released_mass_g()), " t; acquired ",
                                       absl::StrJoin(r->acquired_lot_ids(), ", "), "; ",
                                       CommitLine(r->commit()))});
             return kExitOk;
           });
  AddMutationFlags(rotate, &tf->m);
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
    MassFlags counted;
  };
  auto rf = std::make_shared<RecordFlags>();
  CLI::App* record =
      Leaf(counts, "record",
           "Record a count (admin); beyond tolerance it waits for an approver. The request id "
           "becomes the count id",
           chosen, [rf](Session& s) {
             v1::RecordStockCountRequest req;
             if (auto st = ApplyMutationFlags(rf->m, &req); !st.ok()) return s.Usage(st.message());
             if (rf->counted.grams == 0 && rf->counted.tonnes.empty()) {
               return s.Usage("--counted-mass-g or --counted-mass-t is required");
             }
             auto g = MassValue(rf->counted, "counted-mass");
             if (!g.ok()) return s.Usage(g.status().message());
             req.set_lot_id(rf->lot);
             req.set_counted_mass_g(*g);
             req.set_reason(rf->reason);
             auto r = Inventory(s, &Stub::RecordStockCount, req);
             if (!r.ok()) return s.Fail(r.status());
             Emit(s.format, *r, MakeTable(CountColumns(), r->count()), s.out,
                  {true, CommitLine(r->commit())});
             return kExitOk;
           });
  AddMutationFlags(record, &rf->m);
  record->add_option("lot_id", rf->lot, "lot id")->required();
  AddMassFlags(record, "counted-mass", "counted mass", &rf->counted);
  record->add_option("--reason", rf->reason, "why the count differs (kept with the posting)");

  struct DecideFlags {
    MutationFlags m;
    std::string count_id;
    bool approve = false;
    bool reject = false;
  };
  auto df = std::make_shared<DecideFlags>();
  CLI::App* decide =
      Leaf(counts, "decide", "Approve or reject a pending count (approver, not the counter)",
           chosen, [df](Session& s) {
             v1::DecideStockCountRequest req;
             if (auto st = ApplyMutationFlags(df->m, &req); !st.ok()) return s.Usage(st.message());
             if (df->approve == df->reject)
               return s.Usage("give exactly one of --approve, --reject");
             req.set_count_id(df->count_id);
             req.set_approve(df->approve);
             auto r = Inventory(s, &Stub::DecideStockCount, req);
             if (!r.ok()) return s.Fail(r.status());
             Emit(s.format, *r, MakeTable(CountColumns(), r->count()), s.out,
                  {true, CommitLine(r->commit())});
             return kExitOk;
           });
  AddMutationFlags(decide, &df->m);
  decide->add_option("count_id", df->count_id, "count id")->required();
  decide->add_flag("--approve", df->approve, "post the difference");
  decide->add_flag("--reject", df->reject, "refuse it; nothing is posted");

  auto id = std::make_shared<std::string>();
  Leaf(counts, "get", "Show one stock count", chosen,
       [id](Session& s) {
         v1::GetStockCountRequest req;
         req.set_count_id(*id);
         auto r = Inventory(s, &Stub::GetStockCount, req);
         if (!r.ok()) return s.Fail(r.status());
         Emit(s.format, *r, MakeTable(CountColumns(), *r), s.out, {true, ""});
         return kExitOk;
       })
      ->add_option("count_id", *id, "count id")
      ->required();
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
    absl::StatusOr<int> v = ParseEnum(v1::HoldingsGroupKey_descriptor(), name);
    if (!v.ok())
      return absl::InvalidArgumentError(absl::StrCat("--group-by: ", v.status().message()));
    keys.push_back(static_cast<v1::HoldingsGroupKey>(*v));
  }
  return keys;
}

template <typename Req>
absl::Status ApplyGroupFlags(const GroupFlags& f, const std::vector<v1::HoldingsGroupKey>& keys,
                             Req* req) {
  for (v1::HoldingsGroupKey k : keys) req->add_group_by(k);
  req->set_metal(absl::AsciiStrToUpper(f.metal));
  if (!f.as_of.empty()) {
    absl::StatusOr<v1::Date> d = ParseDate(f.as_of);
    if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("--as-of: ", d.status().message()));
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
             auto r = Inventory(s, &Stub::GetHoldings, req);
             if (!r.ok()) return s.Fail(r.status());
             Emit(s.format, *r, MakeTable(HoldingColumns(*keys), r->rows()), s.out,
                  {false, absl::StrCat("as of journal seq ", r->as_of_seq())});
             return kExitOk;
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
             auto r = Inventory(s, &Stub::GetValuation, req);
             if (!r.ok()) return s.Fail(r.status());
             Emit(s.format, *r, MakeTable(ValuationColumns(*keys), r->rows()), s.out);
             return kExitOk;
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
          absl::StatusOr<int64_t> g_per_year = TonnesToGrams(cf->t_per_year);
          if (!g_per_year.ok()) {
            return s.Usage(
                absl::StrCat("--consumption-t-per-year: ", g_per_year.status().message()));
          }
          // One rounding rule: reserve::MulDiv, half away from zero.
          g_per_day = MulDiv(*g_per_year, 1, kDaysPerYear).value_or(0);
        }
        if (g_per_day <= 0) {
          return s.Usage("--consumption-t-per-year or --consumption-g-per-day must be positive");
        }
        req.set_consumption_g_per_day(g_per_day);
        auto r = Inventory(s, &Stub::GetDaysOfCover, req);
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
        Emit(s.format, *r, MakeTable(cols, *r), s.out);
        return kExitOk;
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
        req.set_request_id(af->m.request_id.empty() ? NewRequestId() : af->m.request_id);
        v1::PriceMark* mark = req.add_marks();
        mark->set_metal(absl::AsciiStrToUpper(af->metal));
        absl::StatusOr<v1::Date> d = ParseDate(af->date);
        if (!d.ok()) return s.Usage(absl::StrCat("--date: ", d.status().message()));
        *mark->mutable_date() = *d;
        int64_t minor = af->price_minor;
        if (!af->price.empty()) {
          absl::StatusOr<int64_t> p = ParseScaled(af->price, 2);
          if (!p.ok()) return s.Usage(absl::StrCat("--price-per-t: ", p.status().message()));
          minor = *p;
        }
        mark->set_price_minor_per_t(minor);
        mark->set_currency(af->currency);
        mark->set_source(af->source);
        auto r = Inventory(s, &Stub::AddPriceMarks, req);
        if (!r.ok()) return s.Fail(r.status());
        Emit(s.format, *r, MakeTable(PriceColumns(), req.marks()), s.out,
             {false, CommitLine(r->commit())});
        return kExitOk;
      });
  add->add_option("--request-id", af->m.request_id, "idempotency key (default: random)");
  add->add_option("--metal", af->metal, "metal code")->required();
  add->add_option("--date", af->date, "date of the mark YYYY-MM-DD")->required();
  CLI::Option* major = add->add_option("--price-per-t", af->price,
                                       "price per tonne in major units (exact, up to 2 decimals)");
  add->add_option("--price-minor-per-t", af->price_minor, "price per tonne in minor units (fen)")
      ->excludes(major);
  add->add_option("--currency", af->currency, "currency (default CNY)");
  add->add_option("--source", af->source, "where the price comes from")->required();

  struct ImportFlags {
    std::string request_id, file;
  };
  auto imf = std::make_shared<ImportFlags>();
  CLI::App* import = Leaf(
      prices, "import",
      "Import marks from CSV with columns metal,date,price_minor_per_t,currency,source (admin)",
      chosen, [imf](Session& s) {
        v1::ImportPriceMarksRequest req;
        req.set_request_id(imf->request_id.empty() ? NewRequestId() : imf->request_id);
        absl::StatusOr<std::string> text = ReadInput(imf->file);
        if (!text.ok()) return s.Usage(text.status().message());
        req.set_csv(*text);
        auto r = Inventory(s, &Stub::ImportPriceMarks, req);
        if (!r.ok()) return s.Fail(r.status());
        using R = v1::AddPriceMarksResponse;
        Columns<R> cols = {
            {"imported", [](const R& x) { return absl::StrCat(x.count()); }, Align::kRight},
            {"seq", [](const R& x) { return absl::StrCat(x.commit().seq()); }, Align::kRight},
            {"replayed", [](const R& x) { return Bool(x.commit().replayed()); }},
        };
        Emit(s.format, *r, MakeTable(cols, *r), s.out);
        return kExitOk;
      });
  import->add_option("--request-id", imf->request_id, "idempotency key (default: random)");
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
          absl::StatusOr<v1::Date> d = ParseDate(*text);
          if (!d.ok()) return s.Usage(absl::StrCat(name, ": ", d.status().message()));
          *field = *d;
        }
        if (lf->from.empty()) req.clear_from_date();
        if (lf->to.empty()) req.clear_to_date();
        auto r = Inventory(s, &Stub::ListPriceMarks, req);
        if (!r.ok()) return s.Fail(r.status());
        Emit(s.format, *r, MakeTable(PriceColumns(), r->marks()), s.out);
        return kExitOk;
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
