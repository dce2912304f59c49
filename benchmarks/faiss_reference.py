"""faiss on the SOP-sized synthetic set of `metricbench bench` (issue 7's reference numbers).

Same shape and distribution as EvaluationBenchmark.syntheticClusteredSet:
60,502 unit vectors in 512 dimensions, item i of class i mod 11,316, class
centre standard normal plus noise of standard deviation 0.5, L2-normalised
(numpy's generator, so not the same draws). Times exact search (IndexFlatL2,
k = 1000) and k-means (20 iterations, 11,316 centroids), 2 threads, and
prints the peak RSS after each.

    pip install faiss-cpu numpy
    python3 benchmarks/faiss_reference.py [--skip-knn] [--skip-kmeans]

faiss stops k-means early when the objective no longer changes (niter is a
maximum); the iterations it ran are printed. `metricbench bench` runs Lloyd
the same way (until no assignment changes, at most 20 iterations).
"""
import resource, sys, time
import numpy as np
import faiss

faiss.omp_set_num_threads(2)
n, d, classes = 60502, 512, 11316
rng = np.random.default_rng(0)
centres = rng.standard_normal((classes, d)).astype(np.float32)
labels = np.arange(n) % classes
x = centres[labels] + 0.5 * rng.standard_normal((n, d)).astype(np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
x = np.ascontiguousarray(x, dtype=np.float32)

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

print(f"faiss {faiss.__version__}, threads 2, data {n}x{d}, peak RSS so far {peak_mb():.0f} MB", flush=True)
if "--skip-knn" not in sys.argv:
  t = time.perf_counter()
  index = faiss.IndexFlatL2(d)
  index.add(x)
  D, I = index.search(x, 1001)
  knn = time.perf_counter() - t
  # recall@1 without self (self is the nearest at distance 0)
  nn = np.where(I[:, 0] == np.arange(n), I[:, 1], I[:, 0])
  print(f"knn IndexFlatL2 k=1001: {knn:.1f} s, peak RSS {peak_mb():.0f} MB, recall@1 {np.mean(labels[nn] == labels):.4f}", flush=True)
  del D, I
if "--skip-kmeans" not in sys.argv:
    t = time.perf_counter()
    km = faiss.Kmeans(d, classes, niter=20, seed=0, max_points_per_centroid=1 << 20)
    km.train(x)
    ran = len(km.iteration_stats)
    print(f"kmeans niter=20, {classes} centroids: {time.perf_counter() - t:.1f} s, {ran} iterations run "
          f"({km.iteration_stats[-1]['time'] / ran:.2f} s each), peak RSS {peak_mb():.0f} MB", flush=True)
