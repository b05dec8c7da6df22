// workgroup_sum: the sum over the 256 invocations of a workgroup, by a tree
// reduction in workgroup memory. The including kernel runs
// @workgroup_size(256) and calls workgroup_sum in uniform control flow (it
// has barriers).

var<workgroup> partial: array<f32, 256>;

// workgroup_sum returns, to every invocation, the sum of s over the
// workgroup; lid is the caller's local_invocation_index.
fn workgroup_sum(lid: u32, s: f32) -> f32 {
    partial[lid] = s;
    workgroupBarrier();
    for (var stride = 128u; stride > 0u; stride >>= 1u) {
        if (lid < stride) {
            partial[lid] += partial[lid + stride];
        }
        workgroupBarrier();
    }
    return partial[0];
}
