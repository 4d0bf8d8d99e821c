#include "vuln/cvss/cvss.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "util/strings.hpp"

namespace bulwark::vuln::cvss {
namespace {

struct MetricSpec {
  std::string_view name;
  std::string_view values;  // the allowed values, space-separated
  bool base;                // required in every vector of the version
};

using Metrics = std::map<std::string, std::string, std::less<>>;

Result<Metrics> parse_metrics(std::string_view body, std::string_view vector, std::span<const MetricSpec> specs) {
  Metrics out;
  if (body.size() > 512) return fail(ErrorCode::parse, "CVSS vector longer than 512 characters");
  for (auto part : util::split(body, '/')) {
    const auto colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == part.size()) {
      return fail(ErrorCode::parse, fmt::format("CVSS metric \"{}\" is not NAME:VALUE", util::printable(part)),
                  std::string(vector));
    }
    const auto name = part.substr(0, colon);
    const auto value = part.substr(colon + 1);
    const auto spec = std::find_if(specs.begin(), specs.end(), [&](const MetricSpec& s) { return s.name == name; });
    if (spec == specs.end()) {
      return fail(ErrorCode::parse, fmt::format("unknown CVSS metric \"{}\"", util::printable(name)),
                  std::string(vector));
    }
    const auto allowed = util::split(spec->values, ' ');
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      return fail(ErrorCode::parse,
                  fmt::format("invalid value \"{}\" for CVSS metric {}", util::printable(value), spec->name),
                  std::string(vector));
    }
    if (!out.emplace(std::string(name), std::string(value)).second) {
      return fail(ErrorCode::parse, fmt::format("CVSS metric {} given twice", spec->name), std::string(vector));
    }
  }
  for (const auto& s : specs) {
    if (s.base && !out.contains(s.name)) {
      return fail(ErrorCode::parse, fmt::format("CVSS base metric {} missing", s.name), std::string(vector));
    }
  }
  return out;
}

// ---- v3.0 / v3.1 ----

constexpr std::array<MetricSpec, 22> kV3{{
    {"AV", "N A L P", true},   {"AC", "L H", true},        {"PR", "N L H", true},       {"UI", "N R", true},
    {"S", "U C", true},        {"C", "H L N", true},       {"I", "H L N", true},        {"A", "H L N", true},
    {"E", "X U P F H", false}, {"RL", "X O T W U", false}, {"RC", "X U R C", false},    {"CR", "X L M H", false},
    {"IR", "X L M H", false},  {"AR", "X L M H", false},   {"MAV", "X N A L P", false}, {"MAC", "X L H", false},
    {"MPR", "X N L H", false}, {"MUI", "X N R", false},    {"MS", "X U C", false},      {"MC", "X N L H", false},
    {"MI", "X N L H", false},  {"MA", "X N L H", false},
}};

// v3.1 Roundup (Appendix A of the 3.1 specification): the smallest one-decimal number
// not below x, computed on integers so that 4.000000001 does not become 4.1.
double roundup_31(double x) {
  const auto scaled = static_cast<long long>(std::llround(x * 100000.0));
  if (scaled % 10000 == 0) return static_cast<double>(scaled) / 100000.0;
  return (std::floor(static_cast<double>(scaled) / 10000.0) + 1.0) / 10.0;
}

double roundup_30(double x) {
  return std::ceil(x * 10.0) / 10.0;
}

double v3_score(const Metrics& m, bool v31) {
  const bool changed = m.at("S") == "C";
  const auto& av = m.at("AV");
  const double AV = av == "N" ? 0.85 : av == "A" ? 0.62 : av == "L" ? 0.55 : 0.2;
  const double AC = m.at("AC") == "L" ? 0.77 : 0.44;
  const auto& pr = m.at("PR");
  const double PR = pr == "N" ? 0.85 : pr == "L" ? (changed ? 0.68 : 0.62) : (changed ? 0.5 : 0.27);
  const double UI = m.at("UI") == "N" ? 0.85 : 0.62;
  auto cia = [&](std::string_view key) {
    const auto& v = m.at(std::string(key));
    return v == "H" ? 0.56 : v == "L" ? 0.22 : 0.0;
  };
  const double iss = 1.0 - (1.0 - cia("C")) * (1.0 - cia("I")) * (1.0 - cia("A"));
  const double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  const double exploitability = 8.22 * AV * AC * PR * UI;
  if (impact <= 0) return 0.0;
  const double raw =
      changed ? std::min(1.08 * (impact + exploitability), 10.0) : std::min(impact + exploitability, 10.0);
  return v31 ? roundup_31(raw) : roundup_30(raw);
}

// ---- v2.0 ----

constexpr std::array<MetricSpec, 14> kV2{{
    {"AV", "L A N", true},
    {"AC", "H M L", true},
    {"Au", "M S N", true},
    {"C", "N P C", true},
    {"I", "N P C", true},
    {"A", "N P C", true},
    {"E", "U POC F H ND", false},
    {"RL", "OF TF W U ND", false},
    {"RC", "UC UR C ND", false},
    {"CDP", "N L LM MH H ND", false},
    {"TD", "N L M H ND", false},
    {"CR", "L M H ND", false},
    {"IR", "L M H ND", false},
    {"AR", "L M H ND", false},
}};

double v2_score(const Metrics& m) {
  const auto& av = m.at("AV");
  const double AV = av == "L" ? 0.395 : av == "A" ? 0.646 : 1.0;
  const auto& ac = m.at("AC");
  const double AC = ac == "H" ? 0.35 : ac == "M" ? 0.61 : 0.71;
  const auto& au = m.at("Au");
  const double Au = au == "M" ? 0.45 : au == "S" ? 0.56 : 0.704;
  auto cia = [&](std::string_view key) {
    const auto& v = m.at(std::string(key));
    return v == "N" ? 0.0 : v == "P" ? 0.275 : 0.660;
  };
  const double impact = 10.41 * (1.0 - (1.0 - cia("C")) * (1.0 - cia("I")) * (1.0 - cia("A")));
  const double exploitability = 20.0 * AV * AC * Au;
  const double f = impact == 0.0 ? 0.0 : 1.176;
  const double raw = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
  return std::round(raw * 10.0) / 10.0;
}

// ---- v4.0 ----

constexpr std::array<MetricSpec, 32> kV4{{
    {"AV", "N A L P", true},     {"AC", "L H", true},
    {"AT", "N P", true},         {"PR", "N L H", true},
    {"UI", "N P A", true},       {"VC", "H L N", true},
    {"VI", "H L N", true},       {"VA", "H L N", true},
    {"SC", "H L N", true},       {"SI", "H L N", true},
    {"SA", "H L N", true},       {"E", "X A P U", false},
    {"CR", "X H M L", false},    {"IR", "X H M L", false},
    {"AR", "X H M L", false},    {"MAV", "X N A L P", false},
    {"MAC", "X L H", false},     {"MAT", "X N P", false},
    {"MPR", "X N L H", false},   {"MUI", "X N P A", false},
    {"MVC", "X H L N", false},   {"MVI", "X H L N", false},
    {"MVA", "X H L N", false},   {"MSC", "X H L N", false},
    {"MSI", "X S H L N", false}, {"MSA", "X S H L N", false},
    {"S", "X N P", false},       {"AU", "X N Y", false},
    {"R", "X A U I", false},     {"V", "X D C", false},
    {"RE", "X L M H", false},    {"U", "X Clear Green Amber Red", false},
}};

// The scores FIRST's CVSS v4.0 specification assigns to each MacroVector
// (EQ1..EQ6 digits), as published with the specification.
struct MacroScore {
  std::string_view macro;
  double score;
};
constexpr std::array<MacroScore, 270> kMacroScores{{
    {"000000", 10},  {"000001", 9.9}, {"000010", 9.8}, {"000011", 9.5}, {"000020", 9.5}, {"000021", 9.2},
    {"000100", 10},  {"000101", 9.6}, {"000110", 9.3}, {"000111", 8.7}, {"000120", 9.1}, {"000121", 8.1},
    {"000200", 9.3}, {"000201", 9},   {"000210", 8.9}, {"000211", 8},   {"000220", 8.1}, {"000221", 6.8},
    {"001000", 9.8}, {"001001", 9.5}, {"001010", 9.5}, {"001011", 9.2}, {"001020", 9},   {"001021", 8.4},
    {"001100", 9.3}, {"001101", 9.2}, {"001110", 8.9}, {"001111", 8.1}, {"001120", 8.1}, {"001121", 6.5},
    {"001200", 8.8}, {"001201", 8},   {"001210", 7.8}, {"001211", 7},   {"001220", 6.9}, {"001221", 4.8},
    {"002001", 9.2}, {"002011", 8.2}, {"002021", 7.2}, {"002101", 7.9}, {"002111", 6.9}, {"002121", 5},
    {"002201", 6.9}, {"002211", 5.5}, {"002221", 2.7}, {"010000", 9.9}, {"010001", 9.7}, {"010010", 9.5},
    {"010011", 9.2}, {"010020", 9.2}, {"010021", 8.5}, {"010100", 9.5}, {"010101", 9.1}, {"010110", 9},
    {"010111", 8.3}, {"010120", 8.4}, {"010121", 7.1}, {"010200", 9.2}, {"010201", 8.1}, {"010210", 8.2},
    {"010211", 7.1}, {"010220", 7.2}, {"010221", 5.3}, {"011000", 9.5}, {"011001", 9.3}, {"011010", 9.2},
    {"011011", 8.5}, {"011020", 8.5}, {"011021", 7.3}, {"011100", 9.2}, {"011101", 8.2}, {"011110", 8},
    {"011111", 7.2}, {"011120", 7},   {"011121", 5.9}, {"011200", 8.4}, {"011201", 7},   {"011210", 7.1},
    {"011211", 5.2}, {"011220", 5},   {"011221", 3},   {"012001", 8.6}, {"012011", 7.5}, {"012021", 5.2},
    {"012101", 7.1}, {"012111", 5.2}, {"012121", 2.9}, {"012201", 6.3}, {"012211", 2.9}, {"012221", 1.7},
    {"100000", 9.8}, {"100001", 9.5}, {"100010", 9.4}, {"100011", 8.7}, {"100020", 9.1}, {"100021", 8.1},
    {"100100", 9.4}, {"100101", 8.9}, {"100110", 8.6}, {"100111", 7.4}, {"100120", 7.7}, {"100121", 6.4},
    {"100200", 8.7}, {"100201", 7.5}, {"100210", 7.4}, {"100211", 6.3}, {"100220", 6.3}, {"100221", 4.9},
    {"101000", 9.4}, {"101001", 8.9}, {"101010", 8.8}, {"101011", 7.7}, {"101020", 7.6}, {"101021", 6.7},
    {"101100", 8.6}, {"101101", 7.6}, {"101110", 7.4}, {"101111", 5.8}, {"101120", 5.9}, {"101121", 5},
    {"101200", 7.2}, {"101201", 5.7}, {"101210", 5.7}, {"101211", 5.2}, {"101220", 5.2}, {"101221", 2.5},
    {"102001", 8.3}, {"102011", 7},   {"102021", 5.4}, {"102101", 6.5}, {"102111", 5.8}, {"102121", 2.6},
    {"102201", 5.3}, {"102211", 2.1}, {"102221", 1.3}, {"110000", 9.5}, {"110001", 9},   {"110010", 8.8},
    {"110011", 7.6}, {"110020", 7.6}, {"110021", 7},   {"110100", 9},   {"110101", 7.7}, {"110110", 7.5},
    {"110111", 6.2}, {"110120", 6.1}, {"110121", 5.3}, {"110200", 7.7}, {"110201", 6.6}, {"110210", 6.8},
    {"110211", 5.9}, {"110220", 5.2}, {"110221", 3},   {"111000", 8.9}, {"111001", 7.8}, {"111010", 7.6},
    {"111011", 6.7}, {"111020", 6.2}, {"111021", 5.8}, {"111100", 7.4}, {"111101", 5.9}, {"111110", 5.7},
    {"111111", 5.7}, {"111120", 4.7}, {"111121", 2.3}, {"111200", 6.1}, {"111201", 5.2}, {"111210", 5.7},
    {"111211", 2.9}, {"111220", 2.4}, {"111221", 1.6}, {"112001", 7.1}, {"112011", 5.9}, {"112021", 3},
    {"112101", 5.8}, {"112111", 2.6}, {"112121", 1.5}, {"112201", 2.3}, {"112211", 1.3}, {"112221", 0.6},
    {"200000", 9.3}, {"200001", 8.7}, {"200010", 8.6}, {"200011", 7.2}, {"200020", 7.5}, {"200021", 5.8},
    {"200100", 8.6}, {"200101", 7.4}, {"200110", 7.4}, {"200111", 6.1}, {"200120", 5.6}, {"200121", 3.4},
    {"200200", 7},   {"200201", 5.4}, {"200210", 5.2}, {"200211", 4},   {"200220", 4},   {"200221", 2.2},
    {"201000", 8.5}, {"201001", 7.5}, {"201010", 7.4}, {"201011", 5.5}, {"201020", 6.2}, {"201021", 5.1},
    {"201100", 7.2}, {"201101", 5.7}, {"201110", 5.5}, {"201111", 4.1}, {"201120", 4.6}, {"201121", 1.9},
    {"201200", 5.3}, {"201201", 3.6}, {"201210", 3.4}, {"201211", 1.9}, {"201220", 1.9}, {"201221", 0.8},
    {"202001", 6.4}, {"202011", 5.1}, {"202021", 2},   {"202101", 4.7}, {"202111", 2.1}, {"202121", 1.1},
    {"202201", 2.4}, {"202211", 0.9}, {"202221", 0.4}, {"210000", 8.8}, {"210001", 7.5}, {"210010", 7.3},
    {"210011", 5.3}, {"210020", 6},   {"210021", 5},   {"210100", 7.3}, {"210101", 5.5}, {"210110", 5.9},
    {"210111", 4},   {"210120", 4.1}, {"210121", 2},   {"210200", 5.4}, {"210201", 4.3}, {"210210", 4.5},
    {"210211", 2.2}, {"210220", 2},   {"210221", 1.1}, {"211000", 7.5}, {"211001", 5.5}, {"211010", 5.8},
    {"211011", 4.5}, {"211020", 4},   {"211021", 2.1}, {"211100", 6.1}, {"211101", 5.1}, {"211110", 4.8},
    {"211111", 1.8}, {"211120", 2},   {"211121", 0.9}, {"211200", 4.6}, {"211201", 1.8}, {"211210", 1.7},
    {"211211", 0.7}, {"211220", 0.8}, {"211221", 0.2}, {"212001", 5.3}, {"212011", 2.4}, {"212021", 1.4},
    {"212101", 2.4}, {"212111", 1.2}, {"212121", 0.5}, {"212201", 1},   {"212211", 0.3}, {"212221", 0.1},
}};

std::optional<double> macro_score(const std::array<int, 6>& eq) {
  char key[7];
  for (int i = 0; i < 6; ++i) key[i] = static_cast<char>('0' + eq[static_cast<std::size_t>(i)]);
  key[6] = '\0';
  const std::string_view k(key, 6);
  const auto it = std::lower_bound(kMacroScores.begin(), kMacroScores.end(), k,
                                   [](const MacroScore& m, std::string_view x) { return m.macro < x; });
  if (it == kMacroScores.end() || it->macro != k) return std::nullopt;
  return it->score;
}

// The highest-severity vectors of each EQ level (the specification's "max composed"
// vectors). Metrics not listed for an EQ do not take part in it.
using MaxList = std::vector<std::vector<std::pair<std::string_view, std::string_view>>>;

MaxList eq1_max(int level) {
  switch (level) {
    case 0: return {{{"AV", "N"}, {"PR", "N"}, {"UI", "N"}}};
    case 1:
      return {{{"AV", "A"}, {"PR", "N"}, {"UI", "N"}},
              {{"AV", "N"}, {"PR", "L"}, {"UI", "N"}},
              {{"AV", "N"}, {"PR", "N"}, {"UI", "P"}}};
    default: return {{{"AV", "P"}, {"PR", "N"}, {"UI", "N"}}, {{"AV", "A"}, {"PR", "L"}, {"UI", "P"}}};
  }
}

MaxList eq2_max(int level) {
  if (level == 0) return {{{"AC", "L"}, {"AT", "N"}}};
  return {{{"AC", "H"}, {"AT", "N"}}, {{"AC", "L"}, {"AT", "P"}}};
}

MaxList eq3eq6_max(int eq3, int eq6) {
  using V = std::vector<std::pair<std::string_view, std::string_view>>;
  auto v = [](std::string_view vc, std::string_view vi, std::string_view va, std::string_view cr, std::string_view ir,
              std::string_view ar) {
    return V{{"VC", vc}, {"VI", vi}, {"VA", va}, {"CR", cr}, {"IR", ir}, {"AR", ar}};
  };
  if (eq3 == 0 && eq6 == 0) return {v("H", "H", "H", "H", "H", "H")};
  if (eq3 == 0) return {v("H", "H", "L", "M", "M", "H"), v("H", "H", "H", "M", "M", "M")};
  if (eq3 == 1 && eq6 == 0) return {v("L", "H", "H", "H", "H", "H"), v("H", "L", "H", "H", "H", "H")};
  if (eq3 == 1) {
    return {v("L", "H", "L", "H", "M", "H"), v("L", "H", "H", "H", "M", "M"), v("H", "L", "H", "M", "H", "M"),
            v("H", "L", "L", "M", "H", "H"), v("L", "L", "H", "H", "H", "M")};
  }
  return {v("L", "L", "L", "H", "H", "H")};
}

MaxList eq4_max(int level) {
  if (level == 0) return {{{"SC", "H"}, {"SI", "S"}, {"SA", "S"}}};
  if (level == 1) return {{{"SC", "H"}, {"SI", "H"}, {"SA", "H"}}};
  return {{{"SC", "L"}, {"SI", "L"}, {"SA", "L"}}};
}

// Severity levels used for distances (lower is more severe), in tenths.
double level_of(std::string_view metric, std::string_view value) {
  if (metric == "AV") return value == "N" ? 0.0 : value == "A" ? 0.1 : value == "L" ? 0.2 : 0.3;
  if (metric == "PR") return value == "N" ? 0.0 : value == "L" ? 0.1 : 0.2;
  if (metric == "UI") return value == "N" ? 0.0 : value == "P" ? 0.1 : 0.2;
  if (metric == "AC") return value == "L" ? 0.0 : 0.1;
  if (metric == "AT") return value == "N" ? 0.0 : 0.1;
  if (metric == "VC" || metric == "VI" || metric == "VA") return value == "H" ? 0.0 : value == "L" ? 0.1 : 0.2;
  if (metric == "SC") return value == "H" ? 0.1 : value == "L" ? 0.2 : 0.3;
  if (metric == "SI" || metric == "SA") return value == "S" ? 0.0 : value == "H" ? 0.1 : value == "L" ? 0.2 : 0.3;
  if (metric == "CR" || metric == "IR" || metric == "AR") return value == "H" ? 0.0 : value == "M" ? 0.1 : 0.2;
  return 0.0;
}

double v4_score(const Metrics& given) {
  // Base score: threat and environmental metrics take their "not defined" meaning
  // (E:X is A, CR/IR/AR:X are H, modified metrics are the base ones).
  auto m = [&](std::string_view key) -> std::string {
    if (key == "E") return "A";
    if (key == "CR" || key == "IR" || key == "AR") return "H";
    return given.at(std::string(key));
  };
  const std::array<std::string_view, 6> impacts{"VC", "VI", "VA", "SC", "SI", "SA"};
  if (std::all_of(impacts.begin(), impacts.end(), [&](std::string_view k) { return m(k) == "N"; })) return 0.0;

  const auto AV = m("AV"), PR = m("PR"), UI = m("UI"), AC = m("AC"), AT = m("AT");
  const auto VC = m("VC"), VI = m("VI"), VA = m("VA"), SC = m("SC"), SI = m("SI"), SA = m("SA");
  const auto CR = m("CR"), IR = m("IR"), AR = m("AR"), E = m("E");

  std::array<int, 6> eq{};
  if (AV == "N" && PR == "N" && UI == "N")
    eq[0] = 0;
  else if ((AV == "N" || PR == "N" || UI == "N") && AV != "P")
    eq[0] = 1;
  else
    eq[0] = 2;
  eq[1] = (AC == "L" && AT == "N") ? 0 : 1;
  if (VC == "H" && VI == "H")
    eq[2] = 0;
  else if (VC == "H" || VI == "H" || VA == "H")
    eq[2] = 1;
  else
    eq[2] = 2;
  // MSI:S / MSA:S are environmental only, so a base vector never reaches EQ4 level 0.
  eq[3] = (SC == "H" || SI == "H" || SA == "H") ? 1 : 2;
  eq[4] = E == "A" ? 0 : E == "P" ? 1 : 2;
  eq[5] = ((CR == "H" && VC == "H") || (IR == "H" && VI == "H") || (AR == "H" && VA == "H")) ? 0 : 1;

  const auto value_opt = macro_score(eq);
  if (!value_opt) return 0.0;  // unreachable for valid vectors: every reachable MacroVector is in the table
  double value = *value_opt;

  auto lower = [&](std::size_t index) {
    auto e = eq;
    ++e[index];
    return macro_score(e);
  };
  const auto eq1_lower = lower(0);
  const auto eq2_lower = lower(1);
  const auto eq4_lower = lower(3);
  const auto eq5_lower = lower(4);
  std::optional<double> eq3eq6_lower;
  {
    auto with = [&](int d3, int d6) {
      auto e = eq;
      e[2] += d3;
      e[5] += d6;
      return macro_score(e);
    };
    const int eq3 = eq[2], eq6 = eq[5];
    if (eq3 == 0 && eq6 == 0) {
      const auto left = with(0, 1), right = with(1, 0);
      if (left && right)
        eq3eq6_lower = std::max(*left, *right);
      else
        eq3eq6_lower = left ? left : right;
    } else if (eq3 == 1 && eq6 == 1) {
      eq3eq6_lower = with(1, 0);
    } else if (eq3 == 0 && eq6 == 1) {
      eq3eq6_lower = with(1, 0);
    } else if (eq3 == 1 && eq6 == 0) {
      eq3eq6_lower = with(0, 1);
    } else {
      eq3eq6_lower = with(1, 1);
    }
  }

  // Find the first max vector of this MacroVector that the vector does not exceed.
  const std::map<std::string_view, std::string> actual{{"AV", AV}, {"PR", PR}, {"UI", UI}, {"AC", AC}, {"AT", AT},
                                                       {"VC", VC}, {"VI", VI}, {"VA", VA}, {"SC", SC}, {"SI", SI},
                                                       {"SA", SA}, {"CR", CR}, {"IR", IR}, {"AR", AR}};
  std::map<std::string_view, double> distance;
  bool found = false;
  for (const auto& a : eq1_max(eq[0])) {
    for (const auto& b : eq2_max(eq[1])) {
      for (const auto& c : eq3eq6_max(eq[2], eq[5])) {
        for (const auto& d : eq4_max(eq[3])) {
          std::map<std::string_view, double> dist;
          bool ok = true;
          for (const auto* part : {&a, &b, &c, &d}) {
            for (const auto& [metric, max_value] : *part) {
              const double diff = level_of(metric, actual.at(metric)) - level_of(metric, max_value);
              if (diff < -1e-9) ok = false;
              dist[metric] = diff;
            }
          }
          if (ok) {
            distance = std::move(dist);
            found = true;
            break;
          }
        }
        if (found) break;
      }
      if (found) break;
    }
    if (found) break;
  }
  if (!found) return std::round(value * 10.0) / 10.0;

  auto d = [&](std::string_view k) { return distance[k]; };
  const double current_eq1 = d("AV") + d("PR") + d("UI");
  const double current_eq2 = d("AC") + d("AT");
  const double current_eq3eq6 = d("VC") + d("VI") + d("VA") + d("CR") + d("IR") + d("AR");
  const double current_eq4 = d("SC") + d("SI") + d("SA");

  constexpr double step = 0.1;
  // Depth of each EQ level (the specification's max severity distances, +1).
  const std::array<int, 3> eq1_depth{1, 4, 5};
  const std::array<int, 2> eq2_depth{1, 2};
  const int eq3eq6_depth = eq[2] == 0 ? (eq[5] == 0 ? 7 : 6) : eq[2] == 1 ? 8 : 10;
  const std::array<int, 3> eq4_depth{6, 5, 4};

  int lower_count = 0;
  double sum = 0;
  auto add = [&](const std::optional<double>& lower_score, double current, double max_severity) {
    if (!lower_score) return;
    ++lower_count;
    const double available = value - *lower_score;
    sum += available * (current / max_severity);
  };
  add(eq1_lower, current_eq1, eq1_depth[static_cast<std::size_t>(eq[0])] * step);
  add(eq2_lower, current_eq2, eq2_depth[static_cast<std::size_t>(eq[1])] * step);
  add(eq3eq6_lower, current_eq3eq6, eq3eq6_depth * step);
  add(eq4_lower, current_eq4, eq4_depth[static_cast<std::size_t>(eq[3])] * step);
  add(eq5_lower, 0.0, 1 * step);  // EQ5 has no distance within a level
  if (lower_count > 0) value -= sum / lower_count;
  value = std::clamp(value, 0.0, 10.0);
  return std::round(value * 10.0 + 1e-6) / 10.0;
}

}  // namespace

Result<BaseScore> base_score(std::string_view vector) {
  std::string_view v = util::trim(vector);
  if (v.size() >= 2 && v.front() == '(' && v.back() == ')') v = v.substr(1, v.size() - 2);
  if (v.starts_with("CVSS:3.1/") || v.starts_with("CVSS:3.0/")) {
    const bool v31 = v[7] == '1';
    auto m = parse_metrics(v.substr(9), vector, kV3);
    if (!m) return std::unexpected(m.error());
    return BaseScore{v31 ? "3.1" : "3.0", v3_score(*m, v31)};
  }
  if (v.starts_with("CVSS:4.0/")) {
    auto m = parse_metrics(v.substr(9), vector, kV4);
    if (!m) return std::unexpected(m.error());
    return BaseScore{"4.0", v4_score(*m)};
  }
  if (v.starts_with("CVSS:")) {
    return fail(ErrorCode::unsupported, "unknown CVSS version prefix", std::string(vector));
  }
  if (v.starts_with("AV:")) {
    auto m = parse_metrics(v, vector, kV2);
    if (!m) return std::unexpected(m.error());
    return BaseScore{"2.0", v2_score(*m)};
  }
  return fail(ErrorCode::parse, "not a CVSS vector", std::string(vector));
}

core::Severity severity_of(const BaseScore& s) noexcept {
  if (s.version == "2.0") {
    if (s.score >= 7.0) return core::Severity::high;
    if (s.score >= 4.0) return core::Severity::medium;
    return core::Severity::low;
  }
  if (s.score >= 9.0) return core::Severity::critical;
  if (s.score >= 7.0) return core::Severity::high;
  if (s.score >= 4.0) return core::Severity::medium;
  if (s.score >= 0.1) return core::Severity::low;
  return core::Severity::info;
}

}  // namespace bulwark::vuln::cvss
