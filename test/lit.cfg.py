# -*- Python -*-
import os
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "LOWBIT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.lowbit_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

llvm_config.use_default_substitutions()
llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

config.substitutions.append(("%lowbit_src", config.lowbit_src_root))
config.substitutions.append(("%lowbit_python", config.python_executable))
config.substitutions.append(("%lowbit_lib", os.path.join(config.lowbit_obj_root, "lib")))
# The CUDA driver stand-in (test/FakeCuda), libcuda.so.1 in this folder.
config.substitutions.append(
    ("%fake_cuda", os.path.join(config.lowbit_obj_root, "test", "fake-cuda")))
config.substitutions.append(("%lowbit_include", os.path.join(config.lowbit_src_root, "include")))
# Keep the user's kernel cache out of the tests.
config.environment["LOWBIT_CACHE_DIR"] = os.path.join(config.lowbit_obj_root, "test", "kernel-cache")
config.substitutions.append(
    ("%lowbit_opt_bin", os.path.join(config.lowbit_tools_dir, "lowbit-opt")))

# LOWBIT_TEST_ROUNDTRIP=1 turns every lowbit-opt run into a round-trip check:
# the output is printed, re-parsed (textual and bytecode) and compared.
lowbit_opt = "lowbit-opt"
if os.environ.get("LOWBIT_TEST_ROUNDTRIP") == "1":
    lowbit_opt = "lowbit-opt --verify-roundtrip"
    config.environment["LOWBIT_TEST_ROUNDTRIP"] = "1"
    # Both modes may run at once (ctest -j): keep their scripts and temporaries apart.
    config.test_exec_root = os.path.join(config.lowbit_obj_root, "test", "roundtrip")

# Tests that make their inputs with numpy, ml_dtypes and safetensors, in the Python that
# %lowbit_python runs (not necessarily the one running lit).
if subprocess.run([config.python_executable, "-c", "import numpy, ml_dtypes, safetensors"],
                  capture_output=True).returncode == 0:
    config.available_features.add("numpy")

# ptxas from the CUDA toolkit, when the machine has one (CUDA_HOME, else
# /usr/local/cuda): PTX acceptance tests use it. A GPU is never assumed here.
cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
ptxas = os.path.join(cuda_home, "bin", "ptxas")
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("ptxas", ptxas))

# A CUDA driver (a GPU machine): GPU runs are only checked where there is one.
import ctypes
try:
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    pass

tools = [
    ToolSubst("lowbit-opt", command=os.path.join(config.lowbit_tools_dir, "lowbit-opt"),
              extra_args=lowbit_opt.split()[1:]),
    ToolSubst("lowbit-run", command=os.path.join(config.lowbit_tools_dir, "lowbit-run")),
    ToolSubst("lowbit-compile", command=os.path.join(config.lowbit_tools_dir, "lowbit-compile")),
    ToolSubst("lowbit-gpu-run", command=os.path.join(config.lowbit_tools_dir, "lowbit-gpu-run")),
    ToolSubst("lowbit-bench", command=os.path.join(config.lowbit_tools_dir, "lowbit-bench")),
    ToolSubst("lowbit-import", command=os.path.join(config.lowbit_tools_dir, "lowbit-import")),
    ToolSubst("lowbit-cache", command=os.path.join(config.lowbit_tools_dir, "lowbit-cache")),
    ToolSubst("lowbit-tune", command=os.path.join(config.lowbit_tools_dir, "lowbit-tune")),
]
llvm_config.add_tool_substitutions(tools, [config.lowbit_tools_dir, config.llvm_tools_dir])
