# SPDX-License-Identifier: MIT
#
# A thin wrapper over CMake + Ninja. The two commands a new user needs:
#   make demo    install what is missing, build, show ltl's main job on the default store
#   make check   install what is missing, build, run every test (plus the sanitizer build
#                and an optimised Release build of the library and ltl)
# Others: make build | test | asan | release | bench | fuzz | format | tidy | clean
#
# Every build made here treats compiler warnings as errors (-DLTL_WERROR=ON); a plain
# cmake build does not (for those who embed ltl). A build directory is configured
# again when this Makefile changes.

BUILD      ?= build
ASAN_BUILD ?= build-asan
RELEASE_BUILD ?= build-release
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all build demo check test asan release bench fuzz format tidy clean bootstrap

all: build

bootstrap:
	@sh scripts/bootstrap

$(BUILD)/build.ninja: Makefile
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DLTL_WERROR=ON \
	  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON $(CMAKE_FLAGS) >/dev/null

build: $(BUILD)/build.ninja
	@ninja -C $(BUILD) --quiet

$(ASAN_BUILD)/build.ninja: Makefile
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLTL_WERROR=ON \
	  -DLTL_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null

# One optimised configuration besides the default (RelWithDebInfo): -O3 finds
# warnings -O2 does not (inlining). The library and the command only, no tests.
$(RELEASE_BUILD)/build.ninja: Makefile
	@cmake -S . -B $(RELEASE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DLTL_WERROR=ON \
	  $(CMAKE_FLAGS) >/dev/null

demo: bootstrap build
	@scripts/demo $(BUILD)/ltl

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

asan: $(ASAN_BUILD)/build.ninja
	@ninja -C $(ASAN_BUILD) --quiet
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS) -LE no-sanitizer

release: $(RELEASE_BUILD)/build.ninja
	@ninja -C $(RELEASE_BUILD) --quiet ltl ltl_shared

check: bootstrap
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory release
	@echo "make check: all tests passed (RelWithDebInfo and ASan+UBSan builds), and the Release build compiles"

bench: build
	@sh scripts/bootstrap bench
	@bench/run $(BUILD)

fuzz: bootstrap
	@cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	  -DLTL_WERROR=ON -DLTL_FUZZ=ON >/dev/null
	@ninja -C build-fuzz --quiet
	@tests/fuzz/run build-fuzz $(FUZZ_SECONDS)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h' '*.cpp')

tidy: build
	@clang-tidy -p $(BUILD) --quiet $$(git ls-files 'src/*.c' 'cli/*.c')

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD) $(RELEASE_BUILD) build-fuzz
