print("]0;xhi")
