// Delivery over TLS to the real httpd library: the agent verifies the server's
// certificate against --ca (a server it cannot verify gets nothing) and presents
// its client certificate, which the server sees as the verified subject.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <mutex>

#include "agent/delivery.hpp"
#include "httpd/httpd.hpp"
#include "util/files.hpp"

namespace bulwark::agent {
namespace {

namespace fs = std::filesystem;

class TlsDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = util::make_temp_dir(fs::temp_directory_path(), "bulwark-agent-tls");
    ASSERT_TRUE(d);
    dir_ = std::make_unique<util::ScopedDir>(*d);
    auto p = dir_->path();
    std::ofstream(p / "server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    std::ofstream(p / "client.ext") << "extendedKeyUsage=clientAuth\n";
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::string script = fmt::format(
        "set -e; cd '{0}';"
        "openssl req -x509 {1} -keyout ca.key -out ca.pem -days 2 -subj '/CN=agent test CA' 2>/dev/null;"
        "openssl req {1} -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null;"
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile server.ext 2>/dev/null;"
        "openssl req {1} -keyout client.key -out client.csr -subj '/O=bulwark/CN=node-7' 2>/dev/null;"
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 "
        "-extfile client.ext 2>/dev/null;"
        "openssl req -x509 {1} -keyout other.key -out other.pem -days 2 -subj '/CN=someone else' 2>/dev/null",
        p.string(), ec);
    ASSERT_EQ(std::system(script.c_str()), 0);
  }
  std::string file(const char* n) const { return (dir_->path() / n).string(); }
  std::unique_ptr<util::ScopedDir> dir_;
};

TEST_F(TlsDelivery, VerifiesTheServerAndPresentsTheClientCertificate) {
  std::mutex m;
  std::vector<httpd::Request> seen;
  httpd::ServerOptions so;
  so.listen = "127.0.0.1:0";
  so.tls = httpd::TlsOptions{file("server.pem"), file("server.key"), file("ca.pem")};
  auto server = httpd::Server::start(so, [&](const httpd::Request& r) {
    std::lock_guard lock(m);
    seen.push_back(r);
    httpd::Response resp;
    resp.status = 201;
    resp.body = R"({"id":"1","digest":"sha256:00","duplicate":false})";
    return resp;
  });
  ASSERT_TRUE(server) << server.error().describe();
  std::string url = fmt::format("https://127.0.0.1:{}", (*server)->port());

  DeliveryOptions o;
  o.server = url;
  o.token = "agent-secret";
  o.ca_file = file("ca.pem");
  o.cert_file = file("client.pem");
  o.key_file = file("client.key");
  {
    Sender s(o);
    auto r = s.post(R"({"schema":"bulwark/v1","report":"inventory"})", "spool-1");
    EXPECT_EQ(r.outcome, SendOutcome::delivered) << r.message;
  }
  {
    std::lock_guard lock(m);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_NE(seen[0].client_cert_subject.find("CN=node-7"), std::string::npos) << seen[0].client_cert_subject;
    EXPECT_EQ(seen[0].header("authorization"), "Bearer agent-secret");
    EXPECT_EQ(seen[0].header("idempotency-key"), "spool-1");
    EXPECT_EQ(seen[0].path, "/api/v1/reports");
  }
  // A CA that did not sign the server's certificate: nothing is sent, the document stays to retry.
  o.ca_file = file("other.pem");
  {
    Sender s(o);
    auto r = s.post("{}", "spool-2");
    EXPECT_EQ(r.outcome, SendOutcome::retry);
    EXPECT_FALSE(r.message.empty());
  }
  // Without a client certificate the server (client CA required) refuses the handshake.
  o.ca_file = file("ca.pem");
  o.cert_file.clear();
  o.key_file.clear();
  {
    Sender s(o);
    auto r = s.post("{}", "spool-3");
    EXPECT_EQ(r.outcome, SendOutcome::retry);
  }
  std::lock_guard lock(m);
  EXPECT_EQ(seen.size(), 1u);
  (*server)->stop();
}

}  // namespace
}  // namespace bulwark::agent
