package main

import (
	"maps"
	"slices"
	"sort"
	"time"
)

// recorder collects one virtual user's results; it is not shared, so it
// needs no lock. merge combines them after the run.
type recorder struct {
	steps  map[string][]time.Duration // by step name; "flow" is the whole unit of work
	errors map[string]int             // by kind
}

func newRecorder() *recorder {
	return &recorder{steps: map[string][]time.Duration{}, errors: map[string]int{}}
}

func (r *recorder) add(step string, d time.Duration) { r.steps[step] = append(r.steps[step], d) }

func (r *recorder) fail(kind string) { r.errors[kind]++ }

// merge adds o's results to r.
func (r *recorder) merge(o *recorder) {
	for k, v := range o.steps {
		r.steps[k] = append(r.steps[k], v...)
	}
	for k, v := range o.errors {
		r.errors[k] += v
	}
}

// latency summarises durations.
type latency struct {
	N             int
	P50, P95, P99 time.Duration
	Max           time.Duration
}

// summarise computes the percentiles of ds (nearest rank); it sorts ds.
func summarise(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	slices.Sort(ds)
	return latency{
		N: len(ds), P50: percentile(ds, 50), P95: percentile(ds, 95), P99: percentile(ds, 99),
		Max: ds[len(ds)-1],
	}
}

// percentile is the nearest-rank p-th percentile of sorted ds.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

// median is the median of xs (the mean of the middle two for an even
// count); zero for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
