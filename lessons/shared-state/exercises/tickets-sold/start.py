"""Four box offices sell tickets and count them in one shared counter."""
from multiprocessing import Process, Value

OFFICES = 4
TICKETS_EACH = 50_000


def sell(sold, tickets):
    """Runs in a child process: sell `tickets` tickets, counting each one."""
    for _ in range(tickets):
        sold.value += 1


if __name__ == "__main__":
    sold = Value("i", 0)  # an int in memory the children share
    offices = [Process(target=sell, args=(sold, TICKETS_EACH)) for _ in range(OFFICES)]
    for office in offices:
        office.start()
    for office in offices:
        office.join()
    print(f"tickets sold: {sold.value}")
