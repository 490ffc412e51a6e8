// Stand-in for ankerl::unordered_dense (not packaged by Debian 12), written for this project's
// build of mediasoup-worker (scripts/mediasoup_worker.sh copies it into worker/include/).
//
// The worker uses only unordered_dense::map, ::set and ::hash, through the parts of their API
// that the standard unordered containers share (find, emplace, try_emplace, erase, iteration,
// count, contains, size, clear, reserve, at, operator[]), so those names map onto the standard
// containers here. The standard containers are node-based: no iterator or reference is
// invalidated where the original (vector-backed) would invalidate one, so code written for the
// original stays correct.
#ifndef PROCTOR_ANKERL_UNORDERED_DENSE_SHIM_H
#define PROCTOR_ANKERL_UNORDERED_DENSE_SHIM_H

#include <cstddef>
#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace ankerl
{
	namespace unordered_dense
	{
		// A class template (not an alias) so that it can be named as a hasher type and used as
		// a function object, like the original: hash<T>{}(value).
		template<typename T, typename Enable = void>
		struct hash : std::hash<T>
		{
		};

		template<
		  typename Key,
		  typename T,
		  typename Hash     = unordered_dense::hash<Key>,
		  typename KeyEqual = std::equal_to<Key>>
		using map = std::unordered_map<Key, T, Hash, KeyEqual>;

		template<typename Key, typename Hash = unordered_dense::hash<Key>, typename KeyEqual = std::equal_to<Key>>
		using set = std::unordered_set<Key, Hash, KeyEqual>;
	} // namespace unordered_dense
} // namespace ankerl

#endif
