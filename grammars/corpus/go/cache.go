// Package cache implements a size-bounded LRU cache with expiry.
package cache

import (
	"container/list"
	"errors"
	"sync"
	"time"
)

const DefaultCapacity = 128

const (
	StateFresh State = iota
	StateStale
	StateEvicted
)

var ErrNotFound = errors.New("cache: not found")

var (
	hits, misses int64
	clock        = time.Now
)

type State int

type Key = string

type Entry[V any] struct {
	key     Key
	Value   V
	expires time.Time
}

type Store interface {
	Get(key Key) (any, error)
	Put(key Key, value any)
	Len() int
}

type Cache[V any] struct {
	mu       sync.Mutex
	capacity int
	order    *list.List
	items    map[Key]*list.Element
	ttl      time.Duration
}

func New[V any](capacity int, ttl time.Duration) *Cache[V] {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	return &Cache[V]{capacity: capacity, order: list.New(), items: map[Key]*list.Element{}, ttl: ttl}
}

func (c *Cache[V]) Get(key Key) (V, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.items[key]
	if !ok {
		misses++
		return zero, ErrNotFound
	}
	entry := el.Value.(*Entry[V])
	if clock().After(entry.expires) {
		c.order.Remove(el)
		delete(c.items, key)
		return zero, ErrNotFound
	}
	hits++
	c.order.MoveToFront(el)
	return entry.Value, nil
}

func (c *Cache[V]) Put(key Key, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const maxEvictions = 4
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		el.Value.(*Entry[V]).Value = value
		return
	}
	el := c.order.PushFront(&Entry[V]{key: key, Value: value, expires: clock().Add(c.ttl)})
	c.items[key] = el
	for i := 0; c.order.Len() > c.capacity && i < maxEvictions; i++ {
		c.evictOldest()
	}
}

func (c *Cache[V]) evictOldest() {
	el := c.order.Back()
	if el != nil {
		c.order.Remove(el)
		delete(c.items, el.Value.(*Entry[V]).key)
	}
}

func (s State) String() string {
	switch s {
	case StateFresh:
		return "fresh"
	case StateStale:
		return "stale"
	}
	return "evicted"
}

func Stats() (int64, int64) {
	return hits, misses
}
