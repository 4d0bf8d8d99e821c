// std::expected for compilers whose standard library hides it.
//
// libstdc++ 12 declares std::expected only when __cpp_concepts >= 202002L (it relies on
// conditionally trivial special members, P0848). g++ 12 has that; clang 14 (Debian's clang,
// the one with libFuzzer) reports 201907L, so <expected> is empty there. The fuzz build
// (-DBULWARK_FUZZ=ON, clang) force-includes this header (top-level CMakeLists.txt) and gets this small stand-in with
// the same names and the subset of the interface bulwark uses. With g++ (every normal build) this header adds nothing.
#pragma once

#include <expected>

#if !defined(__cpp_lib_expected)

#include <exception>
#include <initializer_list>
#include <type_traits>
#include <utility>
#include <variant>

namespace std {  // NOLINT(cert-dcl58-cpp): fills the gap the library leaves, same names as C++23

template <class E>
class unexpected {
 public:
  template <class G = E>
  requires(!is_same_v<remove_cvref_t<G>, unexpected> && is_constructible_v<E, G>) constexpr explicit unexpected(G&& e)
      : e_(std::forward<G>(e)) {}
  constexpr const E& error() const& noexcept { return e_; }
  constexpr E& error() & noexcept { return e_; }
  constexpr E&& error() && noexcept { return std::move(e_); }
  constexpr const E&& error() const&& noexcept { return std::move(e_); }
  template <class G>
  friend constexpr bool operator==(const unexpected& a, const unexpected<G>& b) {
    return a.error() == b.error();
  }

 private:
  E e_;
};
template <class E>
unexpected(E) -> unexpected<E>;

template <class E>
class bad_expected_access;
template <>
class bad_expected_access<void> : public exception {
 public:
  const char* what() const noexcept override { return "bad access to std::expected without expected value"; }
};
template <class E>
class bad_expected_access : public bad_expected_access<void> {
 public:
  explicit bad_expected_access(E e) : e_(std::move(e)) {}
  const E& error() const& noexcept { return e_; }

 private:
  E e_;
};

struct unexpect_t {
  explicit unexpect_t() = default;
};
inline constexpr unexpect_t unexpect{};

template <class T, class E>
class expected {
 public:
  using value_type = T;
  using error_type = E;
  using unexpected_type = unexpected<E>;
  template <class U>
  using rebind = expected<U, error_type>;

  constexpr expected() requires is_default_constructible_v<T> : v_(in_place_index<0>) {}
  constexpr expected(const expected&) = default;
  constexpr expected(expected&&) = default;
  constexpr expected& operator=(const expected&) = default;
  constexpr expected& operator=(expected&&) = default;

  template <class U = T>
  requires(!is_same_v<remove_cvref_t<U>, expected> && !is_same_v<remove_cvref_t<U>, in_place_t> &&
           !is_same_v<remove_cvref_t<U>, unexpect_t> &&
           is_constructible_v<T, U>) constexpr explicit(!is_convertible_v<U, T>) expected(U&& v)
      : v_(in_place_index<0>, std::forward<U>(v)) {}

  template <class U, class G>
  requires(!is_same_v<expected<U, G>, expected> && is_constructible_v<T, const U&> &&
           is_constructible_v<E, const G&>) constexpr expected(const expected<U, G>& o)
      : v_(o.has_value() ? variant<T, E>(in_place_index<0>, *o) : variant<T, E>(in_place_index<1>, o.error())) {}

  template <class G>
  requires is_constructible_v<E, const G&>
  constexpr expected(const unexpected<G>& u) : v_(in_place_index<1>, u.error()) {}
  template <class G>
  requires is_constructible_v<E, G>
  constexpr expected(unexpected<G>&& u) : v_(in_place_index<1>, std::move(u).error()) {}

  template <class... Args>
  constexpr explicit expected(in_place_t, Args&&... args) : v_(in_place_index<0>, std::forward<Args>(args)...) {}
  template <class... Args>
  constexpr explicit expected(unexpect_t, Args&&... args) : v_(in_place_index<1>, std::forward<Args>(args)...) {}

  template <class U = T>
  requires(!is_same_v<remove_cvref_t<U>, expected> && is_constructible_v<T, U> &&
           is_assignable_v<T&, U>) constexpr expected&
  operator=(U&& v) {
    v_.template emplace<0>(std::forward<U>(v));
    return *this;
  }
  template <class G>
  constexpr expected& operator=(const unexpected<G>& u) {
    v_.template emplace<1>(u.error());
    return *this;
  }
  template <class G>
  constexpr expected& operator=(unexpected<G>&& u) {
    v_.template emplace<1>(std::move(u).error());
    return *this;
  }
  template <class... Args>
  constexpr T& emplace(Args&&... args) {
    return v_.template emplace<0>(std::forward<Args>(args)...);
  }

  constexpr bool has_value() const noexcept { return v_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  constexpr const T* operator->() const noexcept { return std::get_if<0>(&v_); }
  constexpr T* operator->() noexcept { return std::get_if<0>(&v_); }
  constexpr const T& operator*() const& noexcept { return *std::get_if<0>(&v_); }
  constexpr T& operator*() & noexcept { return *std::get_if<0>(&v_); }
  constexpr T&& operator*() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  constexpr const T&& operator*() const&& noexcept { return std::move(*std::get_if<0>(&v_)); }

  constexpr const T& value() const& {
    check();
    return **this;
  }
  constexpr T& value() & {
    check();
    return **this;
  }
  constexpr T&& value() && {
    check();
    return std::move(**this);
  }
  constexpr const E& error() const& noexcept { return *std::get_if<1>(&v_); }
  constexpr E& error() & noexcept { return *std::get_if<1>(&v_); }
  constexpr E&& error() && noexcept { return std::move(*std::get_if<1>(&v_)); }

  template <class U>
  constexpr T value_or(U&& d) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(d));
  }
  template <class U>
  constexpr T value_or(U&& d) && {
    return has_value() ? std::move(**this) : static_cast<T>(std::forward<U>(d));
  }

  template <class T2, class E2>
  friend constexpr bool operator==(const expected& a, const expected<T2, E2>& b) {
    if (a.has_value() != b.has_value()) return false;
    return a.has_value() ? *a == *b : a.error() == b.error();
  }
  template <class T2>
  requires(!requires { typename T2::unexpected_type; }) friend constexpr bool operator==(const expected& a,
                                                                                         const T2& v) {
    return a.has_value() && *a == v;
  }
  template <class E2>
  friend constexpr bool operator==(const expected& a, const unexpected<E2>& u) {
    return !a.has_value() && a.error() == u.error();
  }

 private:
  void check() const {
    if (!has_value()) throw bad_expected_access<E>(error());
  }
  variant<T, E> v_;
};

template <class E>
class expected<void, E> {
 public:
  using value_type = void;
  using error_type = E;
  using unexpected_type = unexpected<E>;

  constexpr expected() noexcept = default;
  constexpr expected(const expected&) = default;
  constexpr expected(expected&&) = default;
  constexpr expected& operator=(const expected&) = default;
  constexpr expected& operator=(expected&&) = default;
  template <class G>
  requires is_constructible_v<E, const G&>
  constexpr expected(const unexpected<G>& u) : has_(false), e_(u.error()) {}
  template <class G>
  requires is_constructible_v<E, G>
  constexpr expected(unexpected<G>&& u) : has_(false), e_(std::move(u).error()) {}
  constexpr explicit expected(in_place_t) noexcept {}
  template <class... Args>
  constexpr explicit expected(unexpect_t, Args&&... args) : has_(false), e_(std::forward<Args>(args)...) {}
  template <class G>
  constexpr expected& operator=(const unexpected<G>& u) {
    has_ = false;
    e_ = u.error();
    return *this;
  }
  template <class G>
  constexpr expected& operator=(unexpected<G>&& u) {
    has_ = false;
    e_ = std::move(u).error();
    return *this;
  }
  constexpr void emplace() noexcept {
    has_ = true;
    e_ = E{};
  }

  constexpr bool has_value() const noexcept { return has_; }
  constexpr explicit operator bool() const noexcept { return has_; }
  constexpr void operator*() const noexcept {}
  constexpr void value() const {
    if (!has_) throw bad_expected_access<E>(e_);
  }
  constexpr const E& error() const& noexcept { return e_; }
  constexpr E& error() & noexcept { return e_; }
  constexpr E&& error() && noexcept { return std::move(e_); }

  template <class E2>
  friend constexpr bool operator==(const expected& a, const expected<void, E2>& b) {
    if (a.has_value() != b.has_value()) return false;
    return a.has_value() || a.error() == b.error();
  }
  template <class E2>
  friend constexpr bool operator==(const expected& a, const unexpected<E2>& u) {
    return !a.has_value() && a.error() == u.error();
  }

 private:
  bool has_ = true;
  E e_{};  // E must be default-constructible here (bulwark's Error is)
};

}  // namespace std

#endif
