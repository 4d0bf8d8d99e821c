// Falco's event-generator e2e specs (falco-e2e-evtgen-suite/*.yaml) driven with
// synthetic events. Each spec names a rule, the processes, resources and
// syscalls of a scenario, and the expected priority and output fields. This test
// interprets the spec: it expands the case matrix, builds the process chain
// (clone + execve), creates the resources (sockets), runs the syscall steps as
// events through bulwark's state and engine with Falco's stable rules loaded,
// and checks that the named rule fired with the expected output fields.
//
// What a spec leaves to the real environment is stated here (see kFacts):
// containers are privileged with full capabilities (the generator's container
// runner), and a binary copied into a container runs from the overlay upper layer.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "runtime/engine/engine.hpp"
#include "runtime/events/replay.hpp"

namespace bulwark::runtime::engine {
namespace {

namespace fs = std::filesystem;

const std::string kContainerId(64, 'c');

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A synthetic host: users for user.name, written once.
fs::path names_root() {
  static fs::path root = [] {
    fs::path r = fs::temp_directory_path() / ("bulwark-evtgen-" + std::to_string(::getpid()));
    fs::create_directories(r / "etc");
    std::ofstream(r / "etc/passwd")
        << "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
           "bin:x:2:2::/bin:/usr/sbin/nologin\nsys:x:3:3::/dev:/usr/sbin/nologin\n"
           "sync:x:4:65534::/bin:/bin/sync\ngames:x:5:60::/usr/games:/usr/sbin/nologin\n"
           "lp:x:7:7::/var/spool/lpd:/usr/sbin/nologin\nmail:x:8:8::/var/mail:/usr/sbin/nologin\n"
           "uucp:x:10:10::/var/spool/uucp:/usr/sbin/nologin\n"
           "www-data:x:33:33::/var/www:/usr/sbin/nologin\n"
           "sshd:x:105:65534::/run/sshd:/usr/sbin/nologin\n"
           "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n";
    std::ofstream(r / "etc/group") << "root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n";
    return r;
  }();
  return root;
}

std::uint32_t uid_of(const std::string& user) {
  std::ifstream in(names_root() / "etc/passwd");
  std::string line;
  while (std::getline(in, line)) {
    auto c1 = line.find(':');
    if (line.substr(0, c1) == user) {
      auto c2 = line.find(':', c1 + 1);
      auto c3 = line.find(':', c2 + 1);
      return static_cast<std::uint32_t>(std::stoul(line.substr(c2 + 1, c3 - c2 - 1)));
    }
  }
  return 1000;
}

using Item = std::map<std::string, YAML::Node>;

// Replaces "__ITEM_name__" by the item's value: the whole node when the scalar is only the placeholder.
YAML::Node subst(const YAML::Node& n, const Item& item) {
  if (n.IsScalar()) {
    std::string s = n.Scalar();
    static const std::regex whole("^__ITEM_([A-Za-z0-9_]+?)__$");
    std::smatch m;
    if (std::regex_match(s, m, whole)) {
      auto it = item.find(m[1]);
      if (it != item.end()) return YAML::Clone(it->second);
      return YAML::Node(YAML::NodeType::Null);
    }
    static const std::regex part("__ITEM_([A-Za-z0-9_]+?)__");
    std::string out;
    auto begin = std::sregex_iterator(s.begin(), s.end(), part);
    std::size_t last = 0;
    for (auto i = begin; i != std::sregex_iterator(); ++i) {
      out += s.substr(last, static_cast<std::size_t>(i->position()) - last);
      auto it = item.find((*i)[1]);
      if (it != item.end() && it->second.IsScalar()) out += it->second.Scalar();
      last = static_cast<std::size_t>(i->position() + i->length());
    }
    out += s.substr(last);
    return YAML::Node(out);
  }
  if (n.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& x : n) out.push_back(subst(x, item));
    return out;
  }
  if (n.IsMap()) {
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& kv : n) out[kv.first.Scalar()] = subst(kv.second, item);
    return out;
  }
  return n;
}

std::vector<Item> expand_cases(const YAML::Node& cases) {
  std::vector<Item> items;
  if (!cases || !cases.IsSequence()) return {Item{}};
  for (const auto& c : cases) {
    std::vector<Item> acc{Item{}};
    for (const auto& kv : c["values"]) {
      std::vector<Item> next;
      for (const auto& base : acc) {
        for (const auto& v : kv.second) {
          Item it = base;
          it[kv.first.Scalar()] = YAML::Node(v);
          next.push_back(std::move(it));
        }
      }
      acc = std::move(next);
    }
    items.insert(items.end(), acc.begin(), acc.end());
  }
  return items;
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

struct Scenario {
  std::vector<Event> events;
};

// Scenario facts the specs leave to their runtime environment.
struct Facts {
  bool exe_upper_layer = false;
};
const std::map<std::string, Facts> kFacts = {
    // "user=daemon forces the builder to copy the real exe into the container (upper layer)".
    {"drop_and_execute_new_binary_in_container", {true}},
};

class Builder {
 public:
  Builder(const YAML::Node& test, const std::string& name) : test_(test), name_(name) {}

  Scenario build(std::string& error) {
    Scenario sc;
    const auto& ctx = test_["context"];
    in_container_ = ctx && ctx["container"] && !ctx["container"].IsNull();
    // pid 1
    Event init;
    init.type = EventType::procinfo;
    init.pid = init.tid = 1;
    init.comm = "systemd";
    init.ts_ns = ts();
    init.exec = ExecInfo{};
    init.exec->exe = "/usr/lib/systemd/systemd";
    init.exec->argv = {"/sbin/init"};
    init.exec->cwd = "/";
    sc.events.push_back(init);
    std::int64_t parent = 1;
    std::vector<YAML::Node> procs;
    if (ctx && ctx["processes"] && ctx["processes"].IsSequence())
      for (const auto& p : ctx["processes"]) procs.push_back(p);
    if (procs.empty()) {
      YAML::Node d;
      d["name"] = "eg_runner";
      procs.push_back(d);
    }
    for (const auto& p : procs) {
      std::string pname = p["name"] ? p["name"].as<std::string>() : "eg_proc";
      std::string exe = p["exe"] && p["exe"].IsScalar() ? p["exe"].as<std::string>() : "/usr/bin/" + pname;
      std::string user = p["user"] && p["user"].IsScalar() ? p["user"].as<std::string>() : "root";
      std::vector<std::string> argv{p["exe"] ? exe : pname};
      if (p["args"] && p["args"].IsScalar())
        for (auto& a : split_ws(p["args"].as<std::string>())) argv.push_back(a);
      std::int64_t child = next_pid_++;
      Event clone = base(parent, user_of(parent));
      clone.type = EventType::clone;
      clone.ret = child;
      clone.args.child_pid = child;
      sc.events.push_back(clone);
      uid_[child] = uid_of(user);
      Event ex = base(child, uid_[child]);
      ex.ppid = parent;
      ex.type = EventType::execve;
      ex.comm = pname.substr(0, 15);
      ex.exec = ExecInfo{};
      ex.exec->exe = exe;
      ex.exec->argv = argv;
      ex.exec->cwd = "/";
      if (kFacts.contains(name_) && kFacts.at(name_).exe_upper_layer && in_container_)
        ex.exec->exe_flags |= kExeUpperLayer;
      sc.events.push_back(ex);
      parent = child;
      comm_[child] = ex.comm;
    }
    leaf_ = parent;
    std::map<std::string, std::int64_t> fds;
    if (test_["resources"] && test_["resources"].IsSequence()) {
      for (const auto& r : test_["resources"]) {
        std::string type = r["type"] ? r["type"].as<std::string>() : "";
        if (type != "clientServer") continue;
        std::string proto = r["l4Proto"] ? r["l4Proto"].as<std::string>() : "tcp4";
        std::string addr = r["address"] ? r["address"].as<std::string>() : "";
        bool v6 = proto.ends_with('6');
        Event s = base(leaf_, uid_[leaf_]);
        s.type = EventType::socket;
        s.args.domain = v6 ? kAfInet6 : kAfInet;
        s.args.sock_type = proto.starts_with("udp") ? 2 : 1;
        s.ret = next_fd_++;
        sc.events.push_back(s);
        Event c = base(leaf_, uid_[leaf_]);
        c.type = EventType::connect;
        c.args.fd = s.ret;
        std::string line = std::string("{\"type\":\"connect\",\"args\":{\"tuple\":{\"client\":\"") +
                           (v6 ? "[fd00::2]:40000" : "172.17.0.2:40000") + "\",\"server\":\"" + addr +
                           "\",\"proto\":\"" + (proto.starts_with("udp") ? "udp" : "tcp") + "\"}}}";
        Event parsed;
        std::string perr;
        if (!parse_event_json(line, parsed, perr)) {
          error = "resource address '" + addr + "': " + perr;
          return sc;
        }
        c.args.tuple = parsed.args.tuple;
        sc.events.push_back(c);
        fds[r["name"].as<std::string>() + ".client.fd"] = s.ret;
      }
    }
    if (test_["steps"] && test_["steps"].IsSequence()) {
      for (const auto& st : test_["steps"]) {
        std::string sys = st["syscall"] ? st["syscall"].as<std::string>() : "";
        auto t = event_type_from_name(sys);
        if (!t) {
          error = "unsupported syscall " + sys;
          return sc;
        }
        const YAML::Node& a = st["args"];
        auto arg = [&](const char* k) -> std::string {
          if (!a || !a[k] || !a[k].IsScalar()) return {};
          std::string v = a[k].as<std::string>();
          static const std::regex ref(R"(^\$\{\s*([A-Za-z0-9_.]+)\s*\}$)");
          std::smatch m;
          if (std::regex_match(v, m, ref) && fds.contains(m[1])) return std::to_string(fds[m[1]]);
          return v;
        };
        Event e = base(leaf_, uid_[leaf_]);
        e.type = *t;
        std::string perr;
        auto flags_of = [&](const std::string& f) {
          Event tmp;
          std::string line = "{\"type\":\"open\",\"args\":{\"flags\":\"" + f + "\"}}";
          if (!f.empty() && !parse_event_json(line, tmp, perr)) error = perr;
          return tmp.args.flags;
        };
        switch (*t) {
          case EventType::open:
          case EventType::openat:
          case EventType::openat2: {
            e.args.path = arg("pathname");
            std::string fl = arg("flags");
            std::string mode = arg("mode");
            if (a && a["how"]) {
              fl = a["how"]["flags"] ? a["how"]["flags"].as<std::string>() : "";
              mode = a["how"]["mode"] ? a["how"]["mode"].as<std::string>() : "";
            }
            e.args.flags = flags_of(fl);
            e.args.mode = mode.empty() ? 0 : static_cast<std::uint32_t>(std::stoul(mode, nullptr, 8));
            e.ret = next_fd_++;
            break;
          }
          case EventType::link:
          case EventType::linkat:
            e.args.path = arg("oldPath");
            e.args.path2 = arg("newPath");
            break;
          case EventType::symlink:
          case EventType::symlinkat:
            e.args.path = arg("target");
            e.args.path2 = arg("linkPath");
            break;
          case EventType::socket: {
            Event tmp;
            std::string line = "{\"type\":\"socket\",\"args\":{\"domain\":\"" + arg("domain") + "\",\"type\":\"" +
                               arg("type") + "\",\"protocol\":\"" + arg("protocol") + "\"}}";
            if (!parse_event_json(line, tmp, perr)) error = perr;
            e.args.domain = tmp.args.domain;
            e.args.sock_type = tmp.args.sock_type;
            e.args.protocol = tmp.args.protocol;
            e.ret = next_fd_++;
            break;
          }
          case EventType::dup2:
          case EventType::dup3:
            e.args.fd = std::stoll(arg("oldFd"));
            e.ret = std::stoll(arg("newFd"));
            break;
          default: error = "unsupported syscall " + sys; return sc;
        }
        if (!error.empty()) return sc;
        sc.events.push_back(e);
      }
    }
    return sc;
  }

 private:
  std::uint64_t ts() { return ts_ += 1000000; }
  std::uint32_t user_of(std::int64_t pid) { return uid_.contains(pid) ? uid_[pid] : 0; }
  Event base(std::int64_t pid, std::uint32_t uid) {
    Event e;
    e.ts_ns = ts();
    e.pid = e.tid = pid;
    e.uid = uid;
    e.gid = uid;
    if (in_container_) {
      e.cgroup = "/docker/" + kContainerId;
      e.caps.effective = e.caps.permitted = (1ULL << 41) - 1;  // privileged container
    } else if (uid == 0) {
      e.caps.effective = e.caps.permitted = (1ULL << 41) - 1;
    }
    if (comm_.contains(pid)) e.comm = comm_[pid];
    return e;
  }

  const YAML::Node& test_;
  std::string name_;
  bool in_container_ = false;
  std::uint64_t ts_ = 1700000000000000000ULL;
  std::int64_t next_pid_ = 1000;
  std::int64_t next_fd_ = 3;
  std::int64_t leaf_ = 0;
  std::map<std::int64_t, std::uint32_t> uid_;
  std::map<std::int64_t, std::string> comm_;
};

// Spec cases bulwark does not agree with, and why.
const std::map<std::string, std::string> kKnownDisagreements = {};

TEST(FalcoEvtgenSuite, SyntheticEventsFireTheNamedRule) {
  fs::path dir = fs::path(BULWARK_SHARED_DIR) / "fixtures/falco/falco-e2e-evtgen-suite";
  auto rules = load_rules({{"falco_rules.yaml", slurp(fs::path(BULWARK_SHARED_DIR) /
                                                      "fixtures/falco/falcosecurity-rules/rules/falco_rules.yaml")}});
  ASSERT_EQ(rules.error_count(), 0u);
  int agree_total = 0, total = 0;
  std::string report;
  std::vector<fs::path> specs;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml") specs.push_back(e.path());
  std::sort(specs.begin(), specs.end());
  ASSERT_EQ(specs.size(), 16u);
  for (const auto& spec : specs) {
    std::string text = slurp(spec);
    text = std::regex_replace(text, std::regex(R"(%\{\s*item\.([A-Za-z0-9_]+)\s*\})"), "__ITEM_$1__");
    YAML::Node doc = YAML::Load(text);
    int agree = 0, n = 0;
    for (const auto& test : doc["tests"]) {
      std::string tname = test["name"].as<std::string>();
      for (const auto& item : expand_cases(test["cases"])) {
        ++n;
        YAML::Node t = subst(test, item);
        std::string case_name = tname;
        for (const auto& [k, v] : item) case_name += " " + k + "=" + (v.IsScalar() ? v.Scalar() : YAML::Dump(v));
        std::string error;
        Builder b(t, tname);
        Scenario sc = b.build(error);
        std::vector<std::string> bad;
        if (!error.empty()) bad.push_back("scenario: " + error);
        StaticContainerResolver containers;
        ContainerInfo ci;
        ci.id = kContainerId;
        ci.name = "eg-container";
        ci.image = "docker.io/library/eg-image:latest";
        ci.image_repository = "docker.io/library/eg-image";
        ci.image_tag = "latest";
        ci.privileged = true;
        containers.add(ci);
        ProcessTable state({}, &containers);
        EngineOptions eo;
        eo.names_root = names_root().string();
        eo.hostname = "evtgen";
        Engine engine(rules, state, eo);
        std::vector<Alert> alerts;
        for (const auto& ev : sc.events) engine.process(ev, [&](const Alert& a) { alerts.push_back(a); });
        std::string want_rule = t["rule"].as<std::string>();
        const Alert* hit = nullptr;
        for (const auto& a : alerts)
          if (a.rule->name == want_rule) hit = &a;
        if (!hit) {
          std::string fired;
          for (const auto& a : alerts) fired += " [" + a.rule->name + "]";
          bad.push_back("rule did not fire; fired:" + (fired.empty() ? std::string(" none") : fired));
        } else {
          const auto& exp = t["expectedOutcome"];
          std::string prio = exp["priority"] ? exp["priority"].as<std::string>() : "";
          std::string got(to_string(hit->rule->priority));
          std::transform(got.begin(), got.end(), got.begin(), [](unsigned char c) { return std::tolower(c); });
          if (!prio.empty() && prio != got) bad.push_back("priority " + got + " want " + prio);
          if (exp["outputFields"]) {
            for (const auto& kv : exp["outputFields"]) {
              std::string f = kv.first.as<std::string>();
              std::string want = kv.second.IsScalar() ? kv.second.as<std::string>() : "";
              auto it =
                  std::find_if(hit->fields.begin(), hit->fields.end(), [&](const auto& of) { return of.name == f; });
              if (it == hit->fields.end()) {
                bad.push_back("output field " + f + " not in the rule's output");
              } else if (!it->value || *it->value != want) {
                bad.push_back(f + "=" + it->value.value_or("<NA>") + " want " + want);
              }
            }
          }
        }
        if (bad.empty()) {
          ++agree;
        } else {
          std::string why;
          for (const auto& x : bad) why += "; " + x;
          report += "\n  " + spec.filename().string() + ": " + case_name + why;
          if (!kKnownDisagreements.contains(tname)) ADD_FAILURE() << case_name << why;
        }
      }
    }
    std::printf("  %-62s %d/%d\n", spec.filename().string().c_str(), agree, n);
    agree_total += agree;
    total += n;
  }
  std::printf("falco-e2e-evtgen-suite: %d/%d cases agree%s\n", agree_total, total, report.c_str());
}

}  // namespace
}  // namespace bulwark::runtime::engine
