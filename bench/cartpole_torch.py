#!/usr/bin/python3
"""cartpole_torch.py: the loop of examples/cartpole_dqn.c in PyTorch, for
bench/cartpole.sh to time against the C one.

Same environment (gym's CartPole-v0/v1 equations in gym's order, float64,
200/500-step limit), same recipe (epsilon = max(0.1, 0.7 * 0.985^k) per
episode, replay ring of 1000, -100 for a fall, one sample of 128 after each
episode fitted as 4 minibatches of 32, TD target from a target network
copied every 5 episodes, gamma 0.99, MSE on the chosen action's Q) and the
same network (16-16-2 relu, Glorot-uniform kernels, zero biases, Adam lr
0.01 with netc's and Keras's epsilon 1e-7). The random streams differ, so
the two runs learn differently: compare rates, not episode counts.

One liberty, in PyTorch's favour: the Q network runs only on greedy steps,
where the C example also evaluates it on exploring ones.

Prints one line: `torch: E episodes, S env steps (R/s), T train steps
(R/s) in W s, solved at episode N` (or `not solved`).
"""
import argparse
import math
import random
import sys
import time

try:
    import torch
except ImportError:
    print("SKIP: no PyTorch for /usr/bin/python3 (apt-get install python3-torch)")
    sys.exit(77)

# gym's constants (classic_control/cartpole.py)
GRAVITY, MASSCART, MASSPOLE, LENGTH, FORCE_MAG, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
TOTAL_MASS = MASSPOLE + MASSCART
POLEMASS_LENGTH = MASSPOLE * LENGTH
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4


class CartPole:
    """gym's CartPole with its TimeLimit; step returns (state, reward,
    terminated, truncated)."""

    def __init__(self, max_steps, rng):
        self.max_steps, self.rng = max_steps, rng

    def reset(self):
        self.state = [self.rng.uniform(-0.05, 0.05) for _ in range(4)]
        self.steps = 0
        return self.state

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = FORCE_MAG if action == 1 else -FORCE_MAG
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS
        thetaacc = (GRAVITY * sintheta - costheta * temp) / (
            LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS))
        xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
        x = x + TAU * x_dot
        x_dot = x_dot + TAU * xacc
        theta = theta + TAU * theta_dot
        theta_dot = theta_dot + TAU * thetaacc
        self.state = [x, x_dot, theta, theta_dot]
        self.steps += 1
        terminated = (x < -X_THRESHOLD or x > X_THRESHOLD
                      or theta < -THETA_THRESHOLD or theta > THETA_THRESHOLD)
        return self.state, 1.0, terminated, not terminated and self.steps >= self.max_steps


def qnet():
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 2))
    for layer in net:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    return net


class Replay:
    """A ring of transitions in preallocated tensors."""

    def __init__(self, capacity):
        self.capacity, self.size, self.next = capacity, 0, 0
        self.states = torch.zeros(capacity, 4)
        self.next_states = torch.zeros(capacity, 4)
        self.actions = torch.zeros(capacity, dtype=torch.long)
        self.rewards = torch.zeros(capacity)
        self.dones = torch.zeros(capacity)

    def add(self, state, action, reward, next_state, done):
        i = self.next
        self.states[i] = torch.tensor(state)
        self.next_states[i] = torch.tensor(next_state)
        self.actions[i], self.rewards[i], self.dones[i] = action, reward, float(done)
        self.next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, n):
        """n different transitions, in random order."""
        i = torch.randperm(self.size)[:n]
        return (self.states[i], self.actions[i], self.rewards[i],
                self.next_states[i], self.dones[i])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--episodes", type=int, default=1000)
    p.add_argument("--v1", action="store_true")
    p.add_argument("--replay", type=int, default=1000)
    p.add_argument("--sample", type=int, default=128)
    p.add_argument("--minibatch", type=int, default=32)
    p.add_argument("--target-sync", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-stop", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    env = CartPole(500 if a.v1 else 200, rng)
    goal, gamma = (475 if a.v1 else 195), 0.99
    online, target = qnet(), qnet()
    target.load_state_dict(online.state_dict())
    opt = torch.optim.Adam(online.parameters(), lr=0.01, eps=1e-7)
    replay = Replay(a.replay)
    returns, env_steps, train_steps, solved = [], 0, 0, 0
    t0 = time.perf_counter()
    k = 0
    while k < a.episodes and (a.no_stop or not solved):
        epsilon = max(0.1, 0.7 * 0.985 ** k)
        state, ret, done, truncated = env.reset(), 0.0, False, False
        while not done and not truncated:
            if rng.random() < epsilon:
                action = rng.randrange(2)
            else:
                with torch.no_grad():
                    action = int(online(torch.tensor([state], dtype=torch.float32)).argmax())
            next_state, reward, done, truncated = env.step(action)
            # a truncated episode did not fail: its value still bootstraps
            replay.add(state, action, -100.0 if done else reward, next_state, done)
            env_steps += 1
            ret += reward
            state = next_state
        if replay.size >= a.sample:
            if a.target_sync > 0 and k % a.target_sync == 0:
                target.load_state_dict(online.state_dict())
            s, act, r, s2, d = replay.sample(a.sample)
            for first in range(0, a.sample, a.minibatch):
                rows = slice(first, first + a.minibatch)
                if a.target_sync == 0:
                    target.load_state_dict(online.state_dict())
                with torch.no_grad():
                    y = r[rows] + gamma * (1 - d[rows]) * target(s2[rows]).max(1).values
                q = online(s[rows]).gather(1, act[rows].unsqueeze(1)).squeeze(1)
                loss = torch.nn.functional.mse_loss(q, y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                train_steps += 1
        returns.append(ret)
        k += 1
        if not solved and len(returns) >= 100 and sum(returns[-100:]) / 100 > goal:
            solved = k
    seconds = time.perf_counter() - t0
    print(f"torch: {k} episodes, {env_steps} env steps ({env_steps / seconds:.0f}/s), "
          f"{train_steps} train steps ({train_steps / seconds:.0f}/s) in {seconds:.2f} s, "
          + (f"solved at episode {solved}" if solved else "not solved"))


if __name__ == "__main__":
    main()
