#pragma once
// An optional kept on the heap: a pointer's size when empty.
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace netlab {

/// std::optional<T> whose value lives on the heap: 8 bytes in its struct, a
/// pointer, instead of sizeof(T). For settings that are rarely set on a value
/// there are many of: an Interface or ObservedLink carried the options of every
/// kind (tun, vxlan, macvlan, vlan, impair...), 768 bytes mostly empty, and a
/// 10,000-namespace lab holds some 60,000 of them (model, observed state, plan).
/// A value like std::optional: copies copy the T, == compares it, and it reads
/// the same (`if (i.tun)`, `i.vxlan->id`, `i.impair = Impairment{...}`). It
/// converts to and from std::optional<T> for code that keeps one.
template <class T> class BoxedOptional {
public:
  BoxedOptional() = default;
  // Implicit, as std::optional's: `i.tun = TunOptions{...}`, `.impair = link.impair`.
  BoxedOptional(std::nullopt_t) {}                                           // NOLINT
  BoxedOptional(T value) : m_value(std::make_unique<T>(std::move(value))) {} // NOLINT
  BoxedOptional(const std::optional<T>& value) { // NOLINT
    if (value) m_value = std::make_unique<T>(*value);
  }
  BoxedOptional(std::optional<T>&& value) { // NOLINT
    if (value) m_value = std::make_unique<T>(std::move(*value));
  }
  BoxedOptional(const BoxedOptional& other) : m_value(other ? std::make_unique<T>(*other) : nullptr) {}
  BoxedOptional(BoxedOptional&&) noexcept = default;
  BoxedOptional& operator=(const BoxedOptional& other) {
    if (this != &other) m_value = other ? std::make_unique<T>(*other) : nullptr;
    return *this;
  }
  BoxedOptional& operator=(BoxedOptional&&) noexcept = default;
  BoxedOptional& operator=(std::nullopt_t) {
    reset();
    return *this;
  }
  /// `mac = "aa:bb:.."`, as std::optional takes anything T is made from. Not
  /// nullopt or an optional: an aggregate T is "constructible" from them too.
  template <class U>
    requires(!std::is_same_v<std::remove_cvref_t<U>, BoxedOptional> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::nullopt_t> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::optional<T>> && std::is_constructible_v<T, U>)
  BoxedOptional& operator=(U&& value) {
    emplace(std::forward<U>(value));
    return *this;
  }
  ~BoxedOptional() = default;

  bool has_value() const { return m_value != nullptr; }
  explicit operator bool() const { return has_value(); }
  const T& operator*() const { return *m_value; }
  T& operator*() { return *m_value; }
  const T* operator->() const { return m_value.get(); }
  T* operator->() { return m_value.get(); }
  const T& value() const {
    if (!m_value) throw std::bad_optional_access();
    return *m_value;
  }
  T& value() {
    if (!m_value) throw std::bad_optional_access();
    return *m_value;
  }
  template <class U> T value_or(U&& fallback) const {
    return m_value ? *m_value : static_cast<T>(std::forward<U>(fallback));
  }
  template <class... Args> T& emplace(Args&&... args) {
    m_value = std::make_unique<T>(std::forward<Args>(args)...);
    return *m_value;
  }
  void reset() { m_value.reset(); }

  operator std::optional<T>() const { return m_value ? std::optional<T>(*m_value) : std::nullopt; } // NOLINT

  // Exact overloads for every kind of right-hand side: through the conversions
  // above, std::optional's own templates would otherwise take `optional == boxed`
  // and call two empty ones different.
  friend bool operator==(const BoxedOptional& a, const BoxedOptional& b) {
    return a && b ? *a == *b : a.has_value() == b.has_value();
  }
  friend bool operator==(const BoxedOptional& a, const std::optional<T>& b) {
    return a && b ? *a == *b : a.has_value() == b.has_value();
  }
  template <class U>
    requires(!std::is_same_v<U, BoxedOptional> && !std::is_same_v<U, std::optional<T>> &&
             !std::is_same_v<U, std::nullopt_t>)
  friend bool operator==(const BoxedOptional& a, const U& b) {
    return a && *a == b;
  }
  friend bool operator==(const BoxedOptional& a, std::nullopt_t) { return !a; }

private:
  std::unique_ptr<T> m_value;
};

} // namespace netlab
