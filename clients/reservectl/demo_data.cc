#include "clients/reservectl/demo_data.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/reservectl/csv.h"
#include "clients/reservectl/decimal.h"
#include "storage/exact.h"

namespace reserve::ctl {

namespace {

constexpr int64_t kTonne = kGramsPerTonne;
constexpr int64_t kKilotonne = 1000 * kTonne;

// SplitMix64: a tiny generator whose output is the same on every platform and standard
// library (std::uniform_int_distribution is not), so a seed always gives the same data.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform-enough integer in [lo, hi] (the modulo bias is irrelevant for demo data).
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  // An index into `weights`, chosen with probability proportional to its weight.
  size_t Weighted(const std::vector<int>& weights) {
    int total = 0;
    for (int w : weights) total += w;
    int64_t pick = Between(0, total - 1);
    for (size_t i = 0; i < weights.size(); ++i) {
      if (pick < weights[i]) return i;
      pick -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  uint64_t state_;
};

struct DepotSpec {
  const char* id;
  const char* name;
  const char* province;
  const char* operator_name;
  v1::DepotKind kind;
  bool pledge;
  std::vector<std::pair<const char*, int>> capacity_kt;
};

// State depots in the interior (where the reserve's depots historically are) and
// exchange-registered commercial warehouses at the ports. Capacities leave ample headroom.
const std::vector<DepotSpec>& DepotSpecs() {
  static const std::vector<DepotSpec> specs = {
      {"GS-JC-361",
       "Jinchang State Reserve Depot 361",
       "Gansu",
       "NFSRA Gansu Bureau",
       v1::DEPOT_KIND_STATE,
       false,
       {{"NI", 30}, {"CU", 40}}},
      {"QH-XN-233",
       "Xining State Reserve Depot 233",
       "Qinghai",
       "NFSRA Qinghai Bureau",
       v1::DEPOT_KIND_STATE,
       false,
       {{"AL", 80}, {"ZN", 20}}},
      {"SC-QB-112",
       "Chengdu Qingbaijiang State Reserve Depot",
       "Sichuan",
       "NFSRA Sichuan Bureau",
       v1::DEPOT_KIND_STATE,
       false,
       {{"AL", 40}, {"ZN", 30}, {"PB", 20}}},
      {"SN-BJ-156",
       "Baoji State Reserve Depot 156",
       "Shaanxi",
       "NFSRA Shaanxi Bureau",
       v1::DEPOT_KIND_STATE,
       false,
       {{"CU", 40}, {"AL", 40}, {"PB", 20}}},
      {"HB-XG-420",
       "Xiaogan State Reserve Depot",
       "Hubei",
       "NFSRA Hubei Bureau",
       v1::DEPOT_KIND_STATE,
       false,
       {{"CU", 40}, {"AL", 40}, {"ZN", 20}}},
      {"YN-KM-549",
       "Kunming State Reserve Depot 549",
       "Yunnan",
       "NFSRA Yunnan Bureau",
       v1::DEPOT_KIND_STATE,
       false,
       {{"SN", 20}, {"ZN", 30}, {"PB", 20}, {"CU", 20}}},
      {"NM-BT-310",
       "Baotou State Reserve Depot",
       "Inner Mongolia",
       "NFSRA Inner Mongolia Bureau",
       v1::DEPOT_KIND_STATE,
       false,
       {{"AL", 80}, {"ZN", 20}}},
      {"XJ-MD-650",
       "Urumqi Midong State Reserve Depot",
       "Xinjiang",
       "NFSRA Xinjiang Bureau",
       v1::DEPOT_KIND_STATE,
       false,
       {{"AL", 60}, {"CU", 20}, {"NI", 10}}},
      {"SH-YS-01",
       "Shanghai Yangshan Bonded Metals Warehouse",
       "Shanghai",
       "Sinotrans Logistics",
       v1::DEPOT_KIND_COMMERCIAL,
       true,
       {{"CU", 40}, {"AL", 30}, {"ZN", 20}, {"NI", 10}, {"SN", 5}, {"PB", 10}}},
      {"GD-NS-01",
       "Guangzhou Nansha Metals Warehouse",
       "Guangdong",
       "China Merchants Logistics",
       v1::DEPOT_KIND_COMMERCIAL,
       true,
       {{"CU", 30}, {"AL", 40}, {"ZN", 20}}},
      {"JS-WX-01",
       "Wuxi Metals Logistics Park",
       "Jiangsu",
       "China Railway Materials Logistics",
       v1::DEPOT_KIND_COMMERCIAL,
       true,
       {{"AL", 40}, {"NI", 10}, {"CU", 20}, {"SN", 5}}},
      {"TJ-DJ-01",
       "Tianjin Dongjiang Port Metals Warehouse",
       "Tianjin",
       "COSCO Shipping Logistics",
       v1::DEPOT_KIND_COMMERCIAL,
       false,
       {{"CU", 30}, {"AL", 40}, {"ZN", 20}, {"PB", 10}}},
  };
  return specs;
}

struct Brand {
  const char* name;
  const char* owner;  // the producer, owner of its commercial-reserve lots
};

struct MetalSpec {
  const char* code;
  const char* pink_column;          // Pink Sheet column
  int weight;                       // share of the lots
  std::vector<const char*> grades;  // first is the common one
  const char* form;
  int64_t piece_g;  // one bundle / ingot / plate
  int64_t tare_g_per_piece;
  std::vector<int> sizes_t;  // lot sizes in tonnes
  std::vector<int> size_weights;
  std::vector<Brand> brands;
};

const std::vector<MetalSpec>& MetalSpecs() {
  static const std::vector<int> kBaseSizes = {25, 50, 100, 150, 200, 250};
  static const std::vector<int> kBaseWeights = {35, 20, 20, 10, 8, 7};
  static const std::vector<MetalSpec> specs = {
      {"CU",
       "copper_usd_per_t",
       30,
       {"Cu-CATH-1", "Cu-CATH-2"},
       "cathode bundle",
       2'500'000,
       5'000,
       kBaseSizes,
       kBaseWeights,
       {{"Jiangxi Copper Guixi", "jiangxi-copper"},
        {"Tongling Jinguan", "tongling-nonferrous"},
        {"Yunnan Copper", "yunnan-copper"},
        {"Jinchuan", "jinchuan-group"},
        {"Daye Nonferrous", "daye-nonferrous"},
        {"Zijin Copper", "zijin-mining"}}},
      {"AL",
       "aluminum_usd_per_t",
       35,
       {"Al99.70", "Al99.85"},
       "ingot bundle",
       1'000'000,
       2'000,
       kBaseSizes,
       kBaseWeights,
       {{"Chalco Qinghai", "chalco"},
        {"Chalco Lanzhou", "chalco"},
        {"Shandong Weiqiao", "weiqiao"},
        {"East Hope Baotou", "east-hope"},
        {"Yunnan Aluminium", "yunnan-aluminium"},
        {"Xinjiang Joinworld", "joinworld"}}},
      {"ZN",
       "zinc_usd_per_t",
       15,
       {"Zn99.995", "Zn99.99"},
       "ingot bundle",
       1'000'000,
       2'000,
       kBaseSizes,
       kBaseWeights,
       {{"Zhuzhou Huoju", "zhuzhou-smelter"},
        {"Zhongjin Lingnan Danxia", "zhongjin-lingnan"},
        {"Yunnan Chihong", "chihong"},
        {"Hanzhong Zinc", "hanzhong-zinc"},
        {"Baiyin Nonferrous", "baiyin-nonferrous"}}},
      {"PB",
       "lead_usd_per_t",
       8,
       {"Pb99.994", "Pb99.990"},
       "ingot bundle",
       1'200'000,
       2'000,
       kBaseSizes,
       kBaseWeights,
       {{"Henan Yuguang", "yuguang"},
        {"Jiyuan Wanyang", "wanyang"},
        {"Zhuzhou Huoju", "zhuzhou-smelter"},
        {"Yunnan Chihong", "chihong"}}},
      {"NI",
       "nickel_usd_per_t",
       7,
       {"Ni9996", "Ni9990"},
       "cathode plate, drummed",
       250'000,
       15'000,
       {25, 50, 100},
       {60, 30, 10},
       {{"Jinchuan", "jinchuan-group"},
        {"Norilsk Nickel", "nornickel"},
        {"BHP Nickel West", "bhp"},
        {"Vale Thompson", "vale"}}},
      {"SN",
       "tin_usd_per_t",
       5,
       {"Sn99.90", "Sn99.95"},
       "ingot",
       25'000,
       0,
       {25, 50},
       {85, 15},
       {{"Yunnan Tin", "yunnan-tin"},
        {"Guangxi China Tin", "china-tin"},
        {"Malaysia Smelting Corp", "msc"},
        {"PT Timah", "pt-timah"}}},
  };
  return specs;
}

std::string Slug(absl::string_view province) {
  std::string out;
  for (char c : province) {
    out += c == ' ' ? '-' : absl::ascii_tolower(static_cast<unsigned char>(c));
  }
  return out;
}

v1::Date MakeDate(int year, int month, int day) {
  v1::Date d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  return d;
}

// The Pink Sheet price (decimal text) for `metal_column` at year-month, or the nearest
// earlier month (the file ends in 2023-03; later years use its last price).
const std::string* PriceAt(const std::map<std::string, std::string>& series, int year, int month) {
  const std::string key = absl::StrFormat("%04d-%02d", year, month);
  auto it = series.upper_bound(key);
  if (it == series.begin()) return nullptr;
  return &std::prev(it)->second;
}

}  // namespace

absl::StatusOr<PinkSheet> ParsePinkSheet(absl::string_view csv) {
  absl::StatusOr<std::vector<std::map<std::string, std::string>>> rows = ParseCsv(csv);
  if (!rows.ok()) return rows.status();
  PinkSheet out;
  for (size_t i = 0; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    auto month = row.find("month");
    if (month == row.end() || month->second.size() != 7 || month->second[4] != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", i + 2, ": a 'month' column YYYY-MM is required"));
    }
    for (const MetalSpec& m : MetalSpecs()) {
      auto cell = row.find(m.pink_column);
      if (cell == row.end() || cell->second.empty()) continue;
      if (absl::StatusOr<Decimal> d = ParseDecimal(cell->second); !d.ok() || d->mantissa <= 0) {
        return absl::InvalidArgumentError(absl::StrCat("line ", i + 2, ": ", m.pink_column, " '",
                                                       cell->second,
                                                       "' is not a positive decimal"));
      }
      out.usd_per_t[m.code][month->second] = cell->second;
    }
  }
  return out;
}

absl::StatusOr<DemoData> GenerateDemo(const DemoOptions& options, const PinkSheet& prices) {
  if (options.lots < 1 || options.lots > kMaxDemoLots) {
    return absl::InvalidArgumentError(absl::StrCat("--lots must be 1..", kMaxDemoLots));
  }
  if (absl::StatusOr<Decimal> rate = ParseDecimal(options.cny_per_usd);
      !rate.ok() || rate->mantissa <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cny-per-usd '", options.cny_per_usd, "' is not a positive decimal"));
  }
  for (const MetalSpec& m : MetalSpecs()) {
    if (prices.usd_per_t.count(m.code) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("no ", m.pink_column, " prices"));
    }
  }
  DemoData out;
  const std::string tag = absl::StrCat("demo-s", options.seed);
  out.price_source = absl::StrCat("World Bank Pink Sheet, USD->CNY at ", options.cny_per_usd);

  // Depots (the same for every seed).
  std::map<std::string, std::map<std::string, int64_t>> free_g;  // depot -> metal -> grams
  for (const DepotSpec& spec : DepotSpecs()) {
    v1::Depot d;
    d.set_depot_id(spec.id);
    d.set_name(spec.name);
    d.set_province(spec.province);
    d.set_operator_name(spec.operator_name);
    d.set_kind(spec.kind);
    d.set_approved_for_pledge(spec.pledge);
    for (const auto& [metal, kt] : spec.capacity_kt) {
      (*d.mutable_capacity_g())[metal] = kt * kKilotonne;
      free_g[spec.id][metal] = kt * kKilotonne;
    }
    out.depots.emplace_back(absl::StrCat(tag, "-depot-", spec.id), std::move(d));
  }

  // Price marks: every month, as CNY fen per tonne, one request per metal.
  for (const MetalSpec& m : MetalSpecs()) {
    v1::AddPriceMarksRequest req;
    req.set_request_id(absl::StrCat(tag, "-prices-", m.code));
    for (const auto& [month, usd] : prices.usd_per_t.at(m.code)) {
      absl::StatusOr<int64_t> fen = ConvertPriceToMinor(usd, options.cny_per_usd);
      if (!fen.ok()) return fen.status();
      v1::PriceMark* mark = req.add_marks();
      mark->set_metal(m.code);
      *mark->mutable_date() =
          MakeDate(std::stoi(month.substr(0, 4)), std::stoi(month.substr(5, 2)), 1);
      mark->set_price_minor_per_t(*fen);
      mark->set_currency("CNY");
      mark->set_source(out.price_source);
      if (static_cast<size_t>(req.marks_size()) == kMaxDemoMarksPerRequest) {
        out.price_requests.push_back(req);
        req.clear_marks();
        req.set_request_id(absl::StrCat(tag, "-prices-", m.code, "-", out.price_requests.size()));
      }
    }
    if (req.marks_size() > 0) out.price_requests.push_back(std::move(req));
  }
  for (const auto& r : out.price_requests) out.total_marks += r.marks_size();

  // Lots, grouped by the year they were stored.
  Rng rng(options.seed);
  std::vector<int> metal_weights;
  for (const MetalSpec& m : MetalSpecs()) metal_weights.push_back(m.weight);
  std::map<int, std::vector<v1::Lot>> by_year;
  for (int n = 1; n <= options.lots; ++n) {
    const MetalSpec& m = MetalSpecs()[rng.Weighted(metal_weights)];
    const int64_t nominal_t = m.sizes_t[rng.Weighted(m.size_weights)];
    // Weighed lots vary around the nominal size by up to 2%, to the kilogram.
    const int64_t span_kg = nominal_t * 20;
    const int64_t net_g = nominal_t * kTonne + rng.Between(-span_kg, span_kg) * 1000;

    // Where: a depot that takes this metal and still has room.
    std::vector<std::string> candidates;
    for (const DepotSpec& d : DepotSpecs()) {
      auto it = free_g[d.id].find(m.code);
      if (it != free_g[d.id].end() && it->second >= net_g) candidates.push_back(d.id);
    }
    if (candidates.empty()) {
      return absl::InvalidArgumentError("the demo depots are full; ask for fewer --lots");
    }
    const std::string depot = candidates[rng.Between(0, candidates.size() - 1)];
    free_g[depot][m.code] -= net_g;
    const DepotSpec& dspec = *std::find_if(DepotSpecs().begin(), DepotSpecs().end(),
                                           [&](const DepotSpec& d) { return depot == d.id; });

    // When: old 1970s-80s stock, middle-aged stock and recent purchases.
    int produced = 0;
    switch (rng.Weighted({15, 25, 60})) {
      case 0:
        produced = static_cast<int>(rng.Between(1975, 1989));
        break;
      case 1:
        produced = static_cast<int>(rng.Between(1990, 2009));
        break;
      default:
        produced = static_cast<int>(rng.Between(2010, kDemoLastYear));
        break;
    }
    const int stored = std::min(kDemoLastYear, produced + static_cast<int>(rng.Between(0, 1)));
    const int month = static_cast<int>(rng.Between(1, 12));

    const Brand& brand = m.brands[rng.Between(0, m.brands.size() - 1)];
    v1::Lot lot;
    lot.set_lot_id(absl::StrFormat("%s-%04d-%05d", m.code, stored, n));
    lot.set_metal(m.code);
    lot.set_grade(m.grades[rng.Weighted({75, 25})]);
    lot.set_brand(brand.name);
    lot.set_form(m.form);
    const int64_t pieces = std::max<int64_t>(1, MulDiv(net_g, 1, m.piece_g).value_or(1));
    lot.set_pieces(pieces);
    lot.set_net_mass_g(net_g);
    lot.set_gross_mass_g(net_g + pieces * m.tare_g_per_piece);
    lot.set_depot_id(depot);
    lot.set_location(absl::StrFormat("Shed %d, row %d", rng.Between(1, 8), rng.Between(1, 40)));
    lot.set_year_produced(produced);
    lot.set_year_stored(stored);
    // Cost: the month's Pink Sheet price at the stated rate, within 3% either way.
    const std::string* usd = PriceAt(prices.usd_per_t.at(m.code), stored, month);
    if (usd == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("no ", m.code, " price for ", stored));
    }
    absl::StatusOr<int64_t> fen_per_t = ConvertPriceToMinor(*usd, options.cny_per_usd);
    if (!fen_per_t.ok()) return fen_per_t.status();
    const int64_t permille = rng.Between(970, 1030);
    std::optional<int64_t> price_permille = CheckedMul(*fen_per_t, permille);
    std::optional<int64_t> cost =
        price_permille ? MulDiv(net_g, *price_permille, 1000 * kTonne) : std::nullopt;
    if (!cost) return absl::InvalidArgumentError("cost overflow");
    lot.set_cost_minor(*cost);
    lot.set_currency("CNY");
    // Who: the central reserve mostly; provinces in their own state depots; producers'
    // commercial reserves in the commercial warehouses.
    if (dspec.kind == v1::DEPOT_KIND_STATE) {
      if (rng.Weighted({85, 15}) == 0) {
        lot.set_reserve_class(v1::RESERVE_CLASS_CENTRAL);
        lot.set_owner("NFSRA");
      } else {
        lot.set_reserve_class(v1::RESERVE_CLASS_LOCAL);
        lot.set_owner(absl::StrCat(Slug(dspec.province), "-provincial-reserve"));
      }
    } else if (rng.Weighted({60, 40}) == 0) {
      lot.set_reserve_class(v1::RESERVE_CLASS_COMMERCIAL);
      lot.set_owner(brand.owner);
    } else {
      lot.set_reserve_class(v1::RESERVE_CLASS_CENTRAL);
      lot.set_owner("NFSRA");
    }
    out.total_mass_g += net_g;
    by_year[stored].push_back(std::move(lot));
  }

  // One batch per year stored (split at the server's batch limit), dated within that year.
  for (auto& [year, lots] : by_year) {
    const int month = static_cast<int>(rng.Between(1, 12));
    for (size_t start = 0, part = 1; start < lots.size(); start += kMaxDemoBatchLots, ++part) {
      DemoBatch batch;
      batch.request_id = absl::StrCat(tag, "-acquire-", year, "-", part);
      batch.business_date = MakeDate(year, month, 15);
      const size_t end = std::min(lots.size(), start + kMaxDemoBatchLots);
      batch.lots.assign(lots.begin() + start, lots.begin() + end);
      out.batches.push_back(std::move(batch));
    }
  }
  return out;
}

}  // namespace reserve::ctl
