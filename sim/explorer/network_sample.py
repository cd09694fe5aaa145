"""A small sample of the follow graph to draw: one user's neighbourhood plus random others.

Only the sample is laid out (force-directed, a few hundred nodes at most); the whole graph never is,
since laying out thousands of nodes takes minutes. Random others are added so that the picture shows
the rest of the population too, not only the (homophilous) neighbourhood.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from sim.state import FollowGraph

MAX_SAMPLE = 400


@dataclass(frozen=True)
class NetworkSample:
    users: np.ndarray  # user ids; users[0] is the centre
    edges: np.ndarray  # (n_edges, 2) positions in ``users`` of follower and followee
    positions: np.ndarray  # (n_users, 2) layout coordinates


def followers_of(graph: FollowGraph, uid: int) -> np.ndarray:
    """Users who follow ``uid`` (the graph stores followees, so this scans the edge list once)."""
    edge_positions = np.flatnonzero(graph.indices == uid)
    return np.searchsorted(graph.indptr, edge_positions, side="right") - 1


def sample(graph: FollowGraph, centre: int, size: int = 120, seed: int = 0) -> NetworkSample:
    """``centre``, up to half of ``size`` of its followees and followers, and random other users."""
    n = graph.indptr.shape[0] - 1
    if not 0 <= centre < n:
        raise ValueError(f"user {centre} does not exist (n_users = {n})")
    if not 2 <= size <= min(MAX_SAMPLE, n):
        raise ValueError(f"sample size {size} is not allowed: must be between 2 and {min(MAX_SAMPLE, n)}")
    rng = np.random.default_rng([seed, centre])
    neighbours = np.setdiff1d(np.union1d(graph.followees_of(centre), followers_of(graph, centre)), [centre])
    neighbours = neighbours[neighbours < n]  # followees from n_users on are accounts outside the sample
    near = rng.choice(neighbours, size=min(neighbours.size, size // 2), replace=False)
    others = np.setdiff1d(np.arange(n), np.concatenate([[centre], near]))
    far = rng.choice(others, size=size - 1 - near.size, replace=False)
    users = np.concatenate([[centre], np.sort(near), np.sort(far)]).astype(np.int64)

    index = {int(u): i for i, u in enumerate(users)}
    edges = [(i, index[int(v)]) for i, u in enumerate(users) for v in graph.followees_of(int(u)) if int(v) in index]
    edges = np.array(edges, np.int64).reshape(-1, 2)
    undirected = nx.Graph()
    undirected.add_nodes_from(range(users.size))
    undirected.add_edges_from(map(tuple, edges))
    layout = nx.spring_layout(undirected, seed=seed, iterations=60)
    positions = np.array([layout[i] for i in range(users.size)])
    return NetworkSample(users, edges, ring_the_unconnected(positions, edges))


def ring_the_unconnected(positions: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Users with no follow inside the sample, evenly on a ring just outside the others: the spring
    layout pushes them far away, which shrinks the rest of the picture to a dot."""
    connected = np.zeros(len(positions), bool)
    connected[edges.ravel()] = True
    if connected.all() or not connected.any():
        return positions
    centre = positions[connected].mean(axis=0)
    radius = 1.1 * np.linalg.norm(positions[connected] - centre, axis=1).max()
    angles = np.linspace(0, 2 * np.pi, (~connected).sum(), endpoint=False)
    out = positions.copy()
    out[~connected] = centre + radius * np.column_stack([np.cos(angles), np.sin(angles)])
    return out
