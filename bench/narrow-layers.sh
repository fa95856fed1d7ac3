# Sourced by the decode benchmark scripts. A layer is narrow when it has
# fewer rows than 132 blocks of 32 (one per SM of the H100 and H200): there
# the tma_gemv default takes 16-row blocks. Before 2026-12-03 it took
# 32-row blocks and split K over as many parts as filled the SMs; the
# scripts keep that split as a variant.
narrow_layer() { [ "$1" -lt $((132 * 32)) ]; }
old_narrow_split() { local blocks=$(($1 / 32)); echo $(((132 + blocks - 1) / blocks)); }
