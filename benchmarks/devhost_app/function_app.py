"""A tiny Durable Functions app for benchmarks/devhost_overhead.py: a chain and a fan-out."""

import azure.durable_functions as df

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def chain(context: df.DurableOrchestrationContext):
    steps = context.get_input()
    total = 0
    for step in range(steps):
        total += yield context.call_activity("increment", step)
    return total


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    width = context.get_input()
    results = yield context.task_all([context.call_activity("increment", i) for i in range(width)])
    return sum(results)


@app.activity_trigger(input_name="value")
def increment(value: int) -> int:
    return value + 1
